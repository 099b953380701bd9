// Optional interoperability check: reads .warc.gz files written by
// store/warc with webrecorder's warcio.js and verifies every record.
//
// warcio.js's reader (WARCParser) does not verify digests itself, so this
// script recomputes them two ways and compares with the headers:
//   1. with warcio's own digest code: WARCSerializer.digestRecord({recompute:
//      true}) over the record as WARCParser parsed it (HTTP head re-rendered
//      by warcio, with header case kept), sha256 in hex;
//   2. with node:crypto over the raw block bytes (WARCParser with
//      parseHttp: false), the payload being what follows the first blank
//      line of a response block.
// It also reads each response's content through warcio's decoding reader
// (Content-Encoding / Transfer-Encoding), which fails if a head claims a
// transfer coding the stored body does not have.
//
// Usage (warcio is not a dependency of the Go project; install it in a
// scratch directory):
//
//   WARC_SAMPLE_DIR=/tmp/warc-sample go test -count=1 -run TestWriteSample ./store/warc/
//   d=$(mktemp -d) && (cd "$d" && npm install --no-save --silent warcio@2.4.11)
//   WARCIO_DIR="$d" node store/warc/testdata/warcio-verify.mjs /tmp/warc-sample/*.warc.gz
//
// Exit status 0 when every check passes, 1 otherwise.

import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const base = process.env.WARCIO_DIR || process.cwd();
const require = createRequire(join(base, "package.json"));
const warcioPath = require.resolve("warcio");
const { WARCParser, WARCSerializer } = await import(pathToFileURL(warcioPath).href);
const warcioVersion = JSON.parse(readFileSync(join(dirname(dirname(warcioPath)), "package.json"), "utf8")).version;

const hex = (b) => createHash("sha256").update(b).digest("hex");
const CRLFCRLF = Buffer.from("\r\n\r\n");

let failures = 0;
function fail(where, msg) {
  failures++;
  console.log(`FAIL ${where}: ${msg}`);
}

async function rawBlocks(file) {
  const out = [];
  const parser = new WARCParser(createReadStream(file), { parseHttp: false });
  for await (const record of parser) {
    const block = Buffer.from(await record.readFully(false));
    out.push({ offset: parser.offset, headers: record.warcHeaders.headers, block });
  }
  return out;
}

async function verify(file) {
  const name = basename(file);
  const raws = await rawBlocks(file);
  const counts = {};
  let i = 0;
  let lastResponseID = null;
  const parser = new WARCParser(createReadStream(file), { keepHeadersCase: true });
  for await (const record of parser) {
    const where = `${name} record ${i} (${record.warcType} ${record.warcTargetURI || ""})`;
    const raw = raws[i];
    i++;
    counts[record.warcType] = (counts[record.warcType] || 0) + 1;
    if (!raw) {
      fail(where, "second pass found fewer records");
      continue;
    }
    const blockDigest = record.warcBlockDigest;
    const payloadDigest = record.warcPayloadDigest;
    if (i === 1 && record.warcType !== "warcinfo") fail(where, "file does not start with warcinfo");
    if (record.warcHeader("WARC-IP-Address")) fail(where, "WARC-IP-Address present");
    if (record.warcContentLength !== raw.block.length) {
      fail(where, `Content-Length ${record.warcContentLength}, block ${raw.block.length}`);
    }

    // 2. node:crypto over the raw bytes.
    if (blockDigest !== "sha256:" + hex(raw.block)) fail(where, `block digest ${blockDigest} != sha256:${hex(raw.block)}`);
    if (record.warcType === "response") {
      const cut = raw.block.indexOf(CRLFCRLF);
      const payload = raw.block.subarray(cut + 4);
      if (payloadDigest !== "sha256:" + hex(payload)) fail(where, `payload digest ${payloadDigest} != sha256:${hex(payload)}`);
    }

    // 1. warcio's own digest code on the parsed record (warcinfo records
    // are never digested by warcio).
    if (record.warcType !== "warcinfo") {
      const ser = new WARCSerializer(record, { digest: { algo: "sha-256", prefix: "sha256:", base32: false } });
      await ser.digestRecord({ recompute: true });
      if (record.warcBlockDigest !== blockDigest) {
        fail(where, `warcio computes block digest ${record.warcBlockDigest}, header ${blockDigest}`);
      }
      if (record.warcType === "response" && record.warcPayloadDigest !== payloadDigest) {
        fail(where, `warcio computes payload digest ${record.warcPayloadDigest}, header ${payloadDigest}`);
      }
    } else {
      await record.readFully(false);
    }

    if (record.warcType === "response") {
      lastResponseID = record.warcHeader("WARC-Record-ID");
      const h = record.httpHeaders;
      if (!h || !(h.statusCode >= 100)) fail(where, "no HTTP status parsed");
      if (h && h.headers.get("Transfer-Encoding")) fail(where, "Transfer-Encoding header in the HTTP head");
      // Content as a replay tool reads it: warcio decodes Content-Encoding
      // and Transfer-Encoding from the head.
      const again = new WARCParser(createReadStream(file), { keepHeadersCase: true });
      let n = 0;
      for await (const r of again) {
        if (++n === i) {
          try {
            const content = await r.readFully(true);
            if (h.headers.get("Content-Encoding") === "gzip" && content.length <= r.warcContentLength) {
              fail(where, "gzip content not decoded");
            }
          } catch (e) {
            fail(where, `warcio cannot decode the content: ${e}`);
          }
          break;
        }
      }
    }
    if (record.warcType === "metadata") {
      if (record.warcHeader("WARC-Refers-To") !== lastResponseID) fail(where, "WARC-Refers-To is not the preceding response");
      if (record.warcHeader("WARC-Concurrent-To") !== lastResponseID) fail(where, "WARC-Concurrent-To is not the preceding response");
      try {
        const rec = JSON.parse(raw.block.toString("utf8"));
        if (typeof rec.id !== "number" || !rec.raw_sha256) fail(where, "metadata JSON lacks id or raw_sha256");
      } catch (e) {
        fail(where, `metadata JSON: ${e}`);
      }
    }
  }
  if (i !== raws.length) fail(name, `${i} records parsed, ${raws.length} in the raw pass`);
  console.log(`${name}: ${i} records ${JSON.stringify(counts)}`);
  return i;
}

const files = process.argv.slice(2);
if (!files.length) {
  console.error("usage: node warcio-verify.mjs FILE.warc.gz...");
  process.exit(2);
}
let records = 0;
for (const f of files) {
  try {
    records += await verify(f);
  } catch (e) {
    fail(f, String(e && e.stack ? e.stack : e));
  }
}
console.log(`warcio.js ${warcioVersion}: ${files.length} files, ${records} records, ${failures} failures`);
process.exit(failures ? 1 : 0);
