// Package warc writes the archive's captures as WARC/1.1 files
// (ISO 28500:2017), so that standard web-archive tools (pywb,
// ReplayWeb.page, warcio, gowarc, jwarc…) can read, index and replay
// them.
//
// # Files
//
// Output files are gzip-compressed, one gzip member per WARC record
// (WARC 1.1 Annex D), so an index offset points at a member that can be
// decompressed on its own. The members are ordinary gzip (written with
// github.com/klauspost/compress/gzip at the default level, about twice as
// fast as compress/gzip for the same size). Files are named
//
//	<Prefix>-<YYYYMMDDhhmmss>-<serial>.warc.gz
//
// after WARC 1.1 Annex C, without the crawl host: the timestamp is
// Options.Now at the moment the file is opened (UTC) and the serial counts
// the files of one Writer from 00000. No host name or IP address is looked
// up. If a file of that name already exists the serial is increased, so
// an existing file is never overwritten. A file is finished as soon as it
// has reached Options.MaxFileSize compressed bytes; the capture that
// crosses the limit still goes into it, so no record and no capture is
// ever split across files. A Writer that is given no capture writes no
// file.
//
// An export is all or nothing. Every file carries the suffix ".open"
// until the whole export is complete: Close renames them all to their
// final names (after flushing and syncing each), so a ".warc.gz" file
// always belongs to a complete export. An export that fails (an I/O
// error such as a full disk: Close then returns the error) or is given up
// (Abort, on an error elsewhere or an interruption) removes every file it
// wrote; running it again starts over. Only a killed process (SIGKILL,
// power loss) leaves ".open" files behind, never a final name; they can
// be deleted. After an I/O error the current file is first cut back to
// the end of its last complete capture.
//
// # Records and gowarc
//
// Every record is built with gowarc (github.com/nlnwa/gowarc/v3): a
// gowarc.NewRecordBuilder per record, with strict validation, and
// serialised with gowarc's Marshaler (version line, fields, CRLF framing,
// block, end-of-record marker) into the record's gzip member. The builder
//
//   - sets WARC-Type and formats WARC-Date (UTC, RFC 3339, with the
//     sub-second digits if the time has any, as WARC 1.1 allows);
//   - adds WARC-Record-ID, Content-Length and WARC-Block-Digest, and for a
//     response WARC-Payload-Digest when the record has no raw_sha256;
//   - finds the payload of a response (the bytes after the first empty
//     line of the HTTP head, that is the stored body, not de-chunked and
//     not decoded) and digests it; when the record has a raw_sha256 it is
//     given to the builder as the payload digest, and the builder refuses
//     the record if the body does not match it;
//   - checks every field (which fields a record type may carry, required
//     fields, no repeats, record IDs, dates, WARC-Target-URI parsed as a
//     WHATWG URL) and the warcinfo block (warc-fields syntax).
//
// A capture gowarc refuses (a body that does not match raw_sha256, a URL
// with a port above 65535 or an IPv4 part above 255…) is rejected before
// anything is written, and the Writer stays usable. The warcinfo fields are
// checked the same way when the Writer is made.
//
// The Writer keeps, on purpose, the rest: gowarc's file writer
// (gowarc.NewWarcFileWriter) is not used, because its default file namer
// looks up the host's outbound IP address over the network for every new
// file name, and because the naming, the ".open" suffix, the rotation
// after a whole capture and the cut-back described above are the
// archive's own. Three more things are done outside gowarc, each for a
// reason stated in the code: the warcinfo block is rendered by the Writer
// (gowarc.WarcFields would rewrite field names such as isPartOf into MIME
// canonical form, Ispartof); record IDs come from the Writer's UUID
// generator, handed to gowarc with gowarc.WithRecordIdFunc, because the
// warcinfo ID must be known before its file is opened; and the HTTP head
// is rewritten as described under "HTTP head" below before gowarc sees it.
// gowarc.NewRecordBuilder calls are serialised across Writers: each one
// writes a package variable of github.com/google/uuid (uuid.EnableRandPool),
// which the race detector reports otherwise.
//
// The builder copies each block into a buffer of its own. Up to 1 MiB of
// it is kept in memory; the rest of a larger block goes to a temporary file
// "tmp-diskbuffer-*" in Options.Dir, removed as soon as the record is
// written (a crash can leave one behind, next to the ".open" file).
//
// Fields appear in the order gowarc writes them: WARC-Type, the fields the
// Writer sets, then those the builder adds (WARC-Record-ID where the Writer
// did not set it, Content-Length, the digests). WARC does not give the
// order any meaning.
//
// Every file starts with a warcinfo record:
//
//	WARC-Type: warcinfo
//	WARC-Record-ID, WARC-Date (Options.Now, to the second), WARC-Filename
//	Content-Type: application/warc-fields
//	Content-Length, WARC-Block-Digest
//
//	software: <Options.Software>
//	format: WARC File Format 1.1
//	conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/
//	<Options.Info, sorted by name: isPartOf, description, operator…>
//
// Each capture (one stored version of one document) becomes two records,
// always written together into the same file:
//
// 1. A response record with the HTTP response as received:
//
//	WARC-Type: response
//	WARC-Date: Raw.FetchedAt in UTC, with its sub-second digits if it has any
//	WARC-Target-URI: Raw.URL, the URL actually fetched
//	WARC-Warcinfo-ID: the file's warcinfo record
//	Content-Type: application/http;msgtype=response
//	WARC-Payload-Digest: sha256:<hex of SHA-256(body)>, identical to the record's raw_sha256
//	WARC-Record-ID: <urn:uuid:…>
//	Content-Length
//	WARC-Block-Digest: sha256:<hex of SHA-256(head + body)>
//
// The block is the HTTP head rendered by store.Raw.Head (status line and
// headers sorted by name) followed by the body bytes exactly as stored.
// WARC-IP-Address is absent: the store does not keep the server address.
//
// 2. A metadata record with the parsed record:
//
//	WARC-Type: metadata
//	WARC-Date (same as the response), WARC-Target-URI (same)
//	WARC-Refers-To: the response's record ID (the record it describes)
//	WARC-Concurrent-To: the response's record ID (made from the same capture)
//	WARC-Warcinfo-ID
//	Content-Type: application/json
//	WARC-Record-ID, Content-Length, WARC-Block-Digest
//
// The block is the record as record.Marshal encodes it: compact JSON, no
// HTML escaping, the shape described in RECORD.md. A metadata record is
// used rather than a conversion record because the JSON describes the
// response (fetch time, source URL, raw_sha256, parser version, extracted
// fields) rather than being an alternative rendition that could replace
// it in replay. pywb's own indexer skips records without an HTTP status
// and ReplayWeb.page, loading a WARC, indexes metadata records only for
// metadata:// target URIs. CDXJ indexers built on warcio (warcio.js
// cdx-index, cdxj-indexer) do list it, as a second entry for the same URL
// and second with mime application/json and no status: an index made with
// them for replay should keep response records only.
//
// # Digests
//
// Digests are SHA-256 written as "sha256:" plus lowercase hexadecimal
// (base16; gowarc.WithDefaultDigestAlgorithm("sha256") and
// gowarc.WithDefaultDigestEncoding(gowarc.Base16)), the IIPC community
// recommendation for SHA-256 and what webrecorder's warcio.js writes. warcio (Python) verifies hex and padded
// base32 SHA-256 values but misreads unpadded base32 as base64, and padded
// base32 puts '=' into a field whose grammar is a token; hex avoids both,
// and the payload digest reads the same as the record's raw_sha256.
//
// # HTTP head
//
// The stored body has had any chunked transfer coding removed by the HTTP
// client, so a stored Transfer-Encoding header no longer describes it; a
// reader that believed it would try to de-chunk the payload. Such a
// header is therefore written as X-Archive-Orig-Transfer-Encoding (the
// pywb convention for headers that no longer apply) and Content-Length is
// set to the length of the stored body; a Content-Length that differed
// from it is kept as X-Archive-Orig-Content-Length. Heads without a
// Transfer-Encoding header are written exactly as store.Raw.Head renders
// them. A Content-Encoding (gzip, br…) stays as it is, because the body is
// stored still content-coded, as received. gowarc takes the HTTP block as
// bytes and has no such rewriting (it is a pywb/warcio convention), so the
// Writer does it.
package warc
