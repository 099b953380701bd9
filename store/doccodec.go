package store

// The stored form of a document's bookkeeping (Doc). Schema 1 stored it as
// JSON (about 500 bytes: the field names, a hex digest, RFC 3339 times);
// schema 2 as tagged binary fields (about half that): a format byte, then
// per field a uvarint tag (field number << 3 | wire type) and the value.
// A reader skips fields it does not know, so fields can be added without a
// new schema; a field that is added to Doc must be added here too
// (TestDocCodec_EveryField fails otherwise).

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

const docFormat2 byte = 2

// Wire types.
const (
	wireVarint = 0 // uvarint
	wireBytes  = 2 // uvarint length + bytes
)

// Field numbers of Doc (never reuse one).
const (
	fVersions       = 1
	fSeq            = 2
	fListedIn       = 3 // repeated
	fUpdateMark     = 4
	fStaleTries     = 5
	fStaleFor       = 6
	fDate           = 7
	fTitle          = 8
	fSections       = 9 // repeated
	fFetchedAt      = 10
	fSource         = 11
	fSourceURL      = 12
	fRawSHA256      = 13 // 32 bytes when the hex digest decodes, else the text
	fRawSize        = 14
	fFirstFetchedAt = 15
	fCheckedAt      = 16
	fLocs           = 17 // (pack, slot) uvarint pairs, one per version
	fCapturedAt     = 18
	fSum            = 19 // the entry's CRC-32C, last (sums.go)
)

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field<<3|wire))
}

func appendUint(b []byte, field int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return binary.AppendUvarint(appendTag(b, field, wireVarint), v)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, field int, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Times are stored as nanoseconds since 1970 (zigzag), the zero time not
// at all; they read back in UTC.
func appendTime(b []byte, field int, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	n := t.UnixNano()
	return binary.AppendUvarint(appendTag(b, field, wireVarint), uint64(n<<1)^uint64(n>>63))
}

func decodeTime(v uint64) time.Time {
	n := int64(v>>1) ^ -int64(v&1)
	return time.Unix(0, n).UTC()
}

// encodeDoc is the stored form of d.
func encodeDoc(d *Doc) []byte {
	b := make([]byte, 0, 160+len(d.Title)+len(d.SourceURL))
	b = append(b, docFormat2)
	b = appendUint(b, fVersions, uint64(d.Versions))
	b = appendUint(b, fSeq, d.Seq)
	for _, s := range d.ListedIn {
		b = appendBytes(b, fListedIn, []byte(s))
	}
	b = appendString(b, fUpdateMark, d.UpdateMark)
	b = appendUint(b, fStaleTries, uint64(d.StaleTries))
	b = appendString(b, fStaleFor, d.StaleFor)
	b = appendString(b, fDate, d.Date)
	b = appendString(b, fTitle, d.Title)
	for _, s := range d.Sections {
		b = appendBytes(b, fSections, []byte(s))
	}
	b = appendTime(b, fFetchedAt, d.FetchedAt)
	b = appendString(b, fSource, d.Source)
	b = appendString(b, fSourceURL, d.SourceURL)
	if sum, err := hex.DecodeString(d.RawSHA256); err == nil && len(sum) == 32 && hex.EncodeToString(sum) == d.RawSHA256 {
		b = appendBytes(b, fRawSHA256, sum)
	} else {
		b = appendString(b, fRawSHA256, d.RawSHA256)
	}
	b = appendUint(b, fRawSize, uint64(d.RawSize))
	b = appendTime(b, fFirstFetchedAt, d.FirstFetchedAt)
	b = appendTime(b, fCheckedAt, d.CheckedAt)
	b = appendTime(b, fCapturedAt, d.CapturedAt)
	if len(d.locs) > 0 {
		var l []byte
		for _, x := range d.locs {
			l = binary.AppendUvarint(l, x.pack)
			l = binary.AppendUvarint(l, uint64(x.slot))
		}
		b = appendBytes(b, fLocs, l)
	}
	return sealDoc(docKey(d.Lang, d.ID), b)
}

// decodeDoc reads a stored Doc of either schema; lang and id come from
// its key.
func decodeDoc(lang string, id int64, v []byte) (*Doc, error) {
	if len(v) > 0 && v[0] == '{' {
		var d Doc
		if err := json.Unmarshal(v, &d); err != nil {
			return nil, fmt.Errorf("%w: bookkeeping of %s/%d: %v", ErrCorrupt, lang, id, err)
		}
		d.schema1 = true
		return &d, nil
	}
	d := &Doc{Lang: lang, ID: id}
	if len(v) == 0 || v[0] != docFormat2 {
		return nil, fmt.Errorf("%w: bookkeeping of %s/%d has an unknown format", ErrCorrupt, lang, id)
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: bookkeeping of %s/%d: %s", ErrCorrupt, lang, id, what)
	}
	body, present, ok := docSum(docKey(lang, id), v)
	if present && !ok {
		return nil, bad("checksum mismatch (the entry was changed after it was written)")
	}
	p := body[1:]
	for len(p) > 0 {
		tag, n := binary.Uvarint(p)
		if n <= 0 {
			return nil, bad("bad field tag")
		}
		p = p[n:]
		field, wire := int(tag>>3), int(tag&7)
		var num uint64
		var val []byte
		switch wire {
		case wireVarint:
			num, n = binary.Uvarint(p)
			if n <= 0 {
				return nil, bad(fmt.Sprintf("field %d: bad number", field))
			}
			p = p[n:]
		case wireBytes:
			l, n := binary.Uvarint(p)
			if n <= 0 || l > uint64(len(p)-n) {
				return nil, bad(fmt.Sprintf("field %d: bad length", field))
			}
			val, p = p[n:n+int(l)], p[n+int(l):]
		default:
			return nil, bad(fmt.Sprintf("field %d: unknown wire type %d", field, wire))
		}
		switch field {
		case fVersions:
			d.Versions = int(num)
		case fSeq:
			d.Seq = num
		case fListedIn:
			d.ListedIn = append(d.ListedIn, string(val))
		case fUpdateMark:
			d.UpdateMark = string(val)
		case fStaleTries:
			d.StaleTries = int(num)
		case fStaleFor:
			d.StaleFor = string(val)
		case fDate:
			d.Date = string(val)
		case fTitle:
			d.Title = string(val)
		case fSections:
			d.Sections = append(d.Sections, string(val))
		case fFetchedAt:
			d.FetchedAt = decodeTime(num)
		case fSource:
			d.Source = string(val)
		case fSourceURL:
			d.SourceURL = string(val)
		case fRawSHA256:
			if len(val) == 32 {
				d.RawSHA256 = hex.EncodeToString(val)
			} else {
				d.RawSHA256 = string(val)
			}
		case fRawSize:
			d.RawSize = int(num)
		case fFirstFetchedAt:
			d.FirstFetchedAt = decodeTime(num)
		case fCheckedAt:
			d.CheckedAt = decodeTime(num)
		case fCapturedAt:
			d.CapturedAt = decodeTime(num)
		case fLocs:
			for len(val) > 0 {
				pk, n1 := binary.Uvarint(val)
				if n1 <= 0 {
					return nil, bad("bad location")
				}
				sl, n2 := binary.Uvarint(val[n1:])
				if n2 <= 0 || sl > maxPackSlots {
					return nil, bad("bad location")
				}
				d.locs = append(d.locs, loc{pack: pk, slot: int(sl)})
				val = val[n1+n2:]
			}
		}
	}
	return d, nil
}
