// Reads a Parquet export and the JSONL export of the same archive with
// DuckDB and checks the documented column types and that both hold the
// same rows. Run by TestAnalysis_SpeakersAndParquet when KREMLIN_DUCKDB
// names a directory holding node_modules/@duckdb/node-api (.ci/run
// installs it). Usage: node duckdb-check.mjs DIR/documents.parquet
// DIR/turns.parquet all.jsonl
import { DuckDBInstance } from '@duckdb/node-api';

const [docs, turns, jsonl] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();
let failed = 0;
const check = (ok, what) => { if (!ok) { failed++; console.error('FAIL: ' + what); } else { console.log('ok: ' + what); } };

const want = {
  [docs]: { id: 'BIGINT', lang: 'VARCHAR', version: 'INTEGER', date: 'DATE', time: 'VARCHAR',
    published: 'TIMESTAMP WITH TIME ZONE', published_offset_minutes: 'INTEGER', updated: 'TIMESTAMP WITH TIME ZONE',
    sections: 'VARCHAR[]', tags_persons: 'VARCHAR[]', tag_keys_persons: 'VARCHAR[]', tags_topics: 'VARCHAR[]',
    tags_other: 'STRUCT("column" VARCHAR, tag VARCHAR, "key" VARCHAR)[]', text: 'VARCHAR', turns: 'INTEGER',
    is_announcement: 'BOOLEAN', captured_at: 'TIMESTAMP WITH TIME ZONE', fetched_at: 'TIMESTAMP WITH TIME ZONE' },
  [turns]: { id: 'BIGINT', lang: 'VARCHAR', version: 'INTEGER', seq: 'INTEGER', speaker: 'VARCHAR',
    speaker_key: 'VARCHAR', note: 'VARCHAR', text: 'VARCHAR' },
};
for (const [file, cols] of Object.entries(want)) {
  const got = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM '${file}'`)).map(r => [r.column_name, r.column_type]));
  for (const [col, type] of Object.entries(cols)) check(got[col] === type, `${file.split('/').pop()} ${col} is ${type} (got ${got[col]})`);
}
const n = async (sql) => Number((await rows(sql))[0].n);
const jdocs = await n(`SELECT count(*) n FROM read_json_auto('${jsonl}')`);
const jturns = await n(`SELECT count(*) n FROM (SELECT unnest(turns) FROM read_json_auto('${jsonl}'))`);
check(jdocs > 0 && jdocs === await n(`SELECT count(*) n FROM '${docs}'`), `documents: ${jdocs} rows in JSONL and Parquet`);
check(jturns > 0 && jturns === await n(`SELECT count(*) n FROM '${turns}'`), `turns: ${jturns} rows in JSONL and Parquet`);
// Same speaker keys, turn by turn.
const diff = await n(`SELECT count(*) n FROM (
  SELECT id, lang, seq, t.speaker_key AS k FROM (
    SELECT id, lang, unnest(range(1, len(turns) + 1)) AS seq, unnest(turns) AS t FROM read_json_auto('${jsonl}'))
) a FULL JOIN '${turns}' p ON a.id = p.id AND a.lang = p.lang AND a.seq = p.seq
WHERE a.k IS DISTINCT FROM p.speaker_key`);
check(diff === 0, `speaker keys equal turn by turn (${diff} differ)`);
const keyed = await rows(`SELECT speaker_key, count(*) n FROM '${turns}' GROUP BY 1 ORDER BY 2 DESC LIMIT 3`);
check(keyed.length > 0, `SELECT speaker_key, count(*) FROM turns.parquet GROUP BY 1: ${JSON.stringify(keyed)}`);
// date is the Moscow calendar date of published.
const off = await n(`SELECT count(*) n FROM '${docs}' WHERE published IS NOT NULL AND
  CAST(published + to_minutes(published_offset_minutes) AS DATE) <> date`);
check(off === 0, `published + offset falls on date (${off} differ)`);
if (failed) { console.error(`${failed} DuckDB checks failed`); process.exit(1); }
console.log('DuckDB checks passed');
