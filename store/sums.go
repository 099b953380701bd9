package store

// Checksums of the archive's bookkeeping. Pages and records are covered by
// their packs' own checks (zstd frame checksums, the CRC-32C of staged
// entries, every body's SHA-256); the small values around them — a
// document's bookkeeping, frontier entries, listing and host state, the
// run ledger, the analysis tables — carry a CRC-32C of their own, so that
// verify finds any changed byte, even one that still decodes (a date
// 2000 changed to 1900 in an index entry that an export filters on).
//
//   - A document's bookkeeping (doccodec.go) ends with field fSum: the
//     tag (2 bytes), its length (4) and the CRC-32C (big-endian) of the
//     document's key followed by every byte of the entry before it. The
//     field is one older builds skip, so the format stays 2.
//   - A JSON value starts with {"_crc":"xxxxxxxx", — the CRC-32C (hex) of
//     the value without that member, covering its key too — a member
//     every JSON reader ignores.
//
// An archive whose values all carry a checksum says so in meta (kSums);
// verify then reports a value without one as damaged (a changed byte in
// the checksum's own framing). A writer opening an older archive adds the
// checksums first (addSums).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// kSums marks an archive whose bookkeeping values all carry a
	// checksum; its value is "1".
	kSums = []byte("checksums")
	// jsonBuckets hold JSON values with a checksum.
	jsonBuckets = [][]byte{bPending, bSections, bHosts, bRuns}
)

// docSumSuffix is the framing of the checksum field of a document's
// bookkeeping: field fSum, wire type bytes, length 4.
var docSumSuffix = []byte{byte(fSum<<3|wireBytes) | 0x80, byte((fSum<<3 | wireBytes) >> 7), 4}

func sumOf(key []byte, parts ...[]byte) uint32 {
	c := crc32.Update(0, castagnoli, key)
	for _, p := range parts {
		c = crc32.Update(c, castagnoli, p)
	}
	return c
}

// sealDoc appends the checksum field to an encoded document entry.
func sealDoc(key, b []byte) []byte {
	b = append(b, docSumSuffix...)
	return binary.BigEndian.AppendUint32(b, sumOf(key, b))
}

// docSum reports whether the entry v of key carries a checksum, and
// whether it matches; body is v without the checksum field.
func docSum(key, v []byte) (body []byte, present, ok bool) {
	n := len(v) - 4 - len(docSumSuffix)
	if n < 1 || !bytes.Equal(v[n:n+len(docSumSuffix)], docSumSuffix) {
		return v, false, false
	}
	want := binary.BigEndian.Uint32(v[len(v)-4:])
	return v[:n], true, sumOf(key, v[:len(v)-4]) == want
}

const jsonSumPrefix = `{"_crc":"`

// jsonSumLen is the length of the member a checksum adds: {"_crc":"xxxxxxxx", minus the {.
const jsonSumLen = len(jsonSumPrefix) - 1 + 8 + 2

// sealJSON adds the checksum member to the JSON object data stored at key.
// Other values (arrays, an empty object) are returned as they are.
func sealJSON(key, data []byte) []byte {
	if len(data) < 3 || data[0] != '{' {
		return data
	}
	out := make([]byte, 0, len(data)+jsonSumLen)
	out = append(out, jsonSumPrefix...)
	out = fmt.Appendf(out, "%08x", sumOf(key, data))
	out = append(out, '"', ',')
	return append(out, data[1:]...)
}

// jsonSum reports whether the JSON value v of key carries a checksum, and
// whether it matches.
func jsonSum(key, v []byte) (present, ok bool) {
	if len(v) < len(jsonSumPrefix)+8+3 || !bytes.HasPrefix(v, []byte(jsonSumPrefix)) {
		return false, false
	}
	p := len(jsonSumPrefix)
	h := v[p : p+8]
	if v[p+8] != '"' || v[p+9] != ',' {
		return true, false
	}
	want := fmt.Appendf(nil, "%08x", sumOf(key, []byte{'{'}, v[p+10:]))
	return true, bytes.Equal(h, want) // lower-case hex only: any changed byte counts
}

// hasSums reports whether the archive says every value carries a checksum.
func hasSums(tx *bolt.Tx) bool {
	m := tx.Bucket(bMeta)
	return m != nil && string(m.Get(kSums)) == "1"
}

// addSums gives every bookkeeping value of an archive written by an
// older build its checksum, then marks the archive (one transaction: the
// values are small, about 250 bytes a document).
func (db *DB) addSums() error {
	var done bool
	if err := db.view(func(tx *bolt.Tx) error { done = hasSums(tx); return nil }); err != nil || done {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := resealAll(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kSums, []byte("1"))
	})
}

// resealAll rewrites every value without a checksum with one; values that
// do not decode are left as they are (verify reports them, repair drops
// them).
func resealAll(tx *bolt.Tx) error {
	docs := tx.Bucket(bDocs)
	type kv struct{ k, v []byte }
	var todo []kv
	if err := docs.ForEach(func(k, v []byte) error {
		if _, present, _ := docSum(k, v); present || len(v) == 0 || v[0] != docFormat2 {
			return nil
		}
		lang, id, ok := parseDocKey(k)
		if !ok {
			return nil
		}
		d, err := decodeDoc(lang, id, v)
		if err != nil {
			return nil
		}
		todo = append(todo, kv{bytes.Clone(k), encodeDoc(d)})
		return nil
	}); err != nil {
		return err
	}
	for _, x := range todo {
		if err := docs.Put(x.k, x.v); err != nil {
			return err
		}
	}
	for _, name := range jsonBuckets {
		b := tx.Bucket(name)
		if b == nil {
			continue
		}
		todo = todo[:0]
		if err := b.ForEach(func(k, v []byte) error {
			if present, _ := jsonSum(k, v); !present && len(v) > 2 && v[0] == '{' {
				todo = append(todo, kv{bytes.Clone(k), sealJSON(k, v)})
			}
			return nil
		}); err != nil {
			return err
		}
		for _, x := range todo {
			if err := b.Put(x.k, x.v); err != nil {
				return err
			}
		}
	}
	if b := tx.Bucket(bAnalysis); b != nil {
		if v := b.Get(kSpeakerTable); v != nil {
			if present, _ := jsonSum(kSpeakerTable, v); !present && len(v) > 2 && v[0] == '{' {
				return b.Put(kSpeakerTable, sealJSON(kSpeakerTable, bytes.Clone(v)))
			}
		}
	}
	return nil
}

// unsealJSON returns a copy of the JSON value v without its checksum
// member.
func unsealJSON(key, v []byte) []byte {
	if present, _ := jsonSum(key, v); present && len(v) >= len(jsonSumPrefix)+10 {
		return append([]byte{'{'}, v[len(jsonSumPrefix)+10:]...)
	}
	return bytes.Clone(v)
}
