package store

// Tests of the unexported building blocks: blob codec, key encoding, the
// stored form of raw responses, date helpers.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
)

func newTestCodec(t *testing.T) *codec {
	t.Helper()
	db, err := Open(t.TempDir()+"/c.db", &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.codec
}

// blobOf compresses documents (record, head, body) into a blob with
// page and records dictionary dict.
func blobOf(t testing.TB, c *codec, docs [][3][]byte, sealed bool, dict uint32) ([]packEntry, []byte) {
	t.Helper()
	var entries []packEntry
	var recs [][]byte
	var pages []byte
	for i, d := range docs {
		entries = append(entries, packEntry{lang: "en", id: int64(100 + i), recLen: len(d[0]), headLen: len(d[1]), bodyLen: len(d[2])})
		recs = append(recs, d[0])
		pages = append(append(pages, d[1]...), d[2]...)
	}
	blob, err := c.buildBlobWith(dict, dict, entries, recs, sealed, len(pages), func(w io.Writer) error {
		_, err := w.Write(pages)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries, blob
}

func TestCodec_PackRoundTrip(t *testing.T) {
	c := newTestCodec(t)
	var samples [][]byte
	for i := range 30 {
		samples = append(samples, []byte(strings.Repeat("<div class=\"nav\">menu item</div>\n", 50)+strings.Repeat(string(rune('a'+i%26)), 100+i)))
	}
	d := trainDict(samples)
	if len(d) == 0 || len(d) > dictMaxBytes {
		t.Fatalf("trainDict gave %d bytes", len(d))
	}
	if err := c.addDict(7, d); err != nil {
		t.Fatal(err)
	}
	head := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
	var many [][3][]byte // more than one record group
	for i := range 19 {
		many = append(many, [3][]byte{[]byte(fmt.Sprintf(`{"id":%d,"text":"%s"}`, 100+i, samples[i][:200])), head, samples[i]})
	}
	tests := [][][3][]byte{
		{{[]byte(`{"id":100}`), head, nil}},
		{{[]byte(`{}`), nil, nil}},
		{{[]byte(`{"id":100}`), head, samples[3]}, {[]byte(`{"id":101,"t":"x"}`), head, bytes.Repeat([]byte{0, 0xff, 0x80}, 10000)}, {[]byte("{}"), head, []byte("x")}},
		many,
	}
	for _, dict := range []uint32{noDict, 7, 99} {
		for _, sealed := range []bool{false, true} {
			for ti, docs := range tests {
				entries, blob := blobOf(t, c, docs, sealed, dict)
				wantDict := dict
				if dict == 99 || !sealed { // unknown, or staged: not used
					wantDict = noDict
				}
				l, err := parsePackBlob(blob)
				if err != nil {
					t.Fatal(err)
				}
				if l.pageDict != wantDict || l.withRecords != sealed || len(l.groups) != groupsOf(len(docs)) {
					t.Errorf("dict %d sealed %v test %d: header says dictionary %d, with records %v, %d groups", dict, sealed, ti, l.pageDict, l.withRecords, len(l.groups))
				}
				for _, full := range []bool{false, true} {
					pc, err := c.decodePack(blob, full)
					if err != nil {
						t.Fatalf("dict %d sealed %v test %d full %v: %v", dict, sealed, ti, full, err)
					}
					if !reflect.DeepEqual(pc.entries, entries) {
						t.Errorf("entries %+v, want %+v", pc.entries, entries)
					}
					for i, d := range docs {
						if !bytes.Equal(pc.record(i), d[0]) {
							t.Errorf("test %d entry %d: record %q, want %q", ti, i, pc.record(i), d[0])
						}
						if full && (!bytes.Equal(pc.head(i), d[1]) || !bytes.Equal(pc.body(i), d[2])) {
							t.Errorf("test %d entry %d: page differs", ti, i)
						}
					}
					if !full && pc.pages != nil {
						t.Errorf("records-only decode decoded %d bytes of pages", len(pc.pages))
					}
				}
				// A prefix of the pages.
				if len(docs) > 1 {
					pc, _ := c.decodePack(blob, false)
					pages, err := c.decodePages(l, pc.records(), l.rawOff[1])
					if err != nil || !bytes.Equal(pages[:len(docs[0][1])], docs[0][1]) {
						t.Errorf("test %d: prefix of the pages: %v", ti, err)
					}
				}
			}
		}
	}
}

func TestCodec_DecodePack_Corrupt(t *testing.T) {
	for _, sealed := range []bool{true, false} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) { testDecodePackCorrupt(t, sealed) })
	}
}

func testDecodePackCorrupt(t *testing.T, sealed bool) {
	c := newTestCodec(t)
	docs := [][3][]byte{{[]byte(strings.Repeat("record ", 50)), []byte("HTTP/1.1 200 OK\r\n\r\n"), []byte(strings.Repeat("hello world ", 100))}}
	_, good := blobOf(t, c, docs, sealed, noDict)
	l, _ := parsePackBlob(good)
	pagesAt := len(good) - len(l.pages)
	groupAt := pagesAt - len(l.groups[0])
	flipped := bytes.Clone(good)
	flipped[pagesAt+len(l.pages)/2] ^= 0xff
	flippedRec := bytes.Clone(good)
	flippedRec[groupAt+len(l.groups[0])/2] ^= 0xff
	tests := []struct {
		name string
		b    []byte
		full bool
	}{
		{"empty", nil, true},
		{"short", good[:1], true},
		{"unknown format", append([]byte{9}, good[1:]...), true},
		{"header cut", good[:groupAt-1], true},
		{"truncated frame", good[:len(good)-4], true},
		{"flipped page byte", flipped, true},
		{"flipped record byte", flippedRec, false},
		{"not zstd", append(slices.Clone(good[:pagesAt]), "plain text, not a zstd frame"...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.decodePack(tt.b, tt.full); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodePack: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCodec_DecodeV1_Corrupt(t *testing.T) {
	c := newTestCodec(t)
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	good := enc.EncodeAll([]byte(strings.Repeat("hello world ", 100)), []byte{formatZstdV1, 0, 0, 0, 0})
	if got, err := c.decodeV1(good); err != nil || string(got) != strings.Repeat("hello world ", 100) {
		t.Fatalf("decodeV1 of a good blob: %v", err)
	}
	for _, tt := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "0 bytes"},
		{"unknown format", append([]byte{9}, good[1:]...), "unknown format 9"},
		{"unknown dictionary", append([]byte{formatZstdV1, 0, 0, 1, 0}, good[blobHeaderN:]...), "dictionary 256"},
		{"truncated frame", good[:len(good)-4], ""},
	} {
		_, err := c.decodeV1(tt.b)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: decodeV1: %v, want ErrCorrupt saying %q", tt.name, err, tt.msg)
		}
	}
}

// TestDocCodec_EveryField fills every field of Doc (by reflection, so a
// field added later is filled too) and checks that it survives the
// stored form: a field encodeDoc does not know fails here.
func TestDocCodec_EveryField(t *testing.T) {
	var d Doc
	v := reflect.ValueOf(&d).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		name := v.Type().Field(i).Name
		switch name {
		case "locs":
			d.locs = []loc{{1, 0}, {1 << 40, 4095}, {7, 3}}
			continue
		case "schema1":
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(name + " value é")
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(1000 + i))
		case reflect.Uint64:
			f.SetUint(uint64(1<<40 + i))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{name + "1", "", name + "3"}))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2020+i, 2, 3, 4, 5, 6, 789, time.UTC)))
				continue
			}
			t.Fatalf("Doc.%s: a struct the test cannot fill", name)
		default:
			t.Fatalf("Doc.%s: kind %v the test cannot fill; extend the test and encodeDoc", name, f.Kind())
		}
	}
	d.Lang, d.RawSHA256 = "ru", strings.Repeat("ab", 32)
	got, err := decodeDoc(d.Lang, d.ID, encodeDoc(&d))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, d) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, d)
	}
	// A digest that is not 32 hex bytes is kept as text; zero values
	// stay zero.
	for _, sha := range []string{"", "ABCD", strings.Repeat("AB", 32)} {
		e := Doc{Lang: "en", ID: 5, RawSHA256: sha}
		back, err := decodeDoc("en", 5, encodeDoc(&e))
		if err != nil || !reflect.DeepEqual(*back, e) {
			t.Errorf("digest %q: %+v, %v", sha, back, err)
		}
	}
	// Schema-1 JSON is read too.
	back, err := decodeDoc("en", 5, []byte(`{"lang":"en","id":5,"versions":2,"seq":9,"title":"T"}`))
	if err != nil || back.Versions != 2 || back.Seq != 9 || back.Title != "T" || !back.schema1 {
		t.Errorf("schema-1 JSON: %+v, %v", back, err)
	}
}

func FuzzDecodeDoc(f *testing.F) {
	f.Add(encodeDoc(&Doc{Lang: "en", ID: 3, Versions: 2, Title: "x", locs: []loc{{1, 2}, {3, 4}}}))
	f.Add([]byte{docFormat2, 0x88, 0x01})
	f.Add([]byte(`{"versions":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDoc("en", 1, b)
		if err != nil {
			return
		}
		if d.schema1 {
			return
		}
		back, err := decodeDoc("en", 1, encodeDoc(d))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(back, d) {
			t.Errorf("unstable: %+v vs %+v", back, d)
		}
	})
}

func FuzzParsePackBlob(f *testing.F) {
	c := newCodec()
	if err := c.rebuildPlain(); err != nil {
		f.Fatal(err)
	}
	docs := [][3][]byte{{[]byte("{}"), []byte("HTTP/1.1 200 OK\r\n\r\n"), []byte("<html></html>")}, {[]byte(`{"a":1}`), nil, []byte("b")}}
	for _, sealed := range []bool{false, true} {
		_, good := blobOf(f, c, docs, sealed, noDict)
		f.Add(good)
	}
	f.Add([]byte{packFormat, 1, 'e', 'n', 1, 2, 3, 4, 0, 0, 1, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, full := range []bool{false, true} {
			pc, err := c.decodePack(b, full)
			if err != nil {
				continue
			}
			for i := range pc.entries {
				pc.record(i)
				if full {
					pc.head(i)
					pc.body(i)
				}
			}
		}
	})
}

func TestDocKey_Order(t *testing.T) {
	ids := []int64{1, 9, 10, 255, 256, 65535, 65536, 1 << 40}
	var keys [][]byte
	for _, id := range ids {
		k := docKey("en", id)
		if len(k) != 10 {
			t.Fatalf("docKey length %d", len(k))
		}
		lang, back, ok := parseDocKey(k)
		if !ok || lang != "en" || back != id {
			t.Errorf("parseDocKey(docKey(en, %d)) = %s, %d, %v", id, lang, back, ok)
		}
		vk := verKey("en", id, 3)
		if len(vk) != 14 || !bytes.HasPrefix(vk, k) {
			t.Errorf("verKey(en, %d, 3) = %x", id, vk)
		}
		keys = append(keys, k)
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Error("document keys do not sort in ID order")
	}
	if bytes.Compare(docKey("en", 1<<40), docKey("ru", 1)) >= 0 {
		t.Error("en keys do not sort before ru keys")
	}
	if bytes.Compare(verKey("en", 5, 2), verKey("en", 5, 10)) >= 0 || bytes.Compare(verKey("en", 5, 300), verKey("en", 6, 1)) >= 0 {
		t.Error("version keys do not sort in (id, version) order")
	}
	if _, _, ok := parseDocKey([]byte("en")); ok {
		t.Error("parseDocKey accepted a short key")
	}
}

func TestRaw_Head_SortedHeaders(t *testing.T) {
	r := &Raw{Status: 200, Header: http.Header{"B": {"2"}, "A": {"1", "0"}}}
	want := "HTTP/1.1 200 OK\r\nA: 1\r\nA: 0\r\nB: 2\r\n\r\n"
	if got := string(r.Head()); got != want {
		t.Errorf("Head() = %q, want %q", got, want)
	}
	r = &Raw{Proto: "HTTP/1.0", Status: 799}
	if got := string(r.Head()); got != "HTTP/1.0 799 status code 799\r\n\r\n" {
		t.Errorf("Head() = %q", got)
	}
}

func TestParseHead_Corrupt(t *testing.T) {
	for _, p := range []string{"", "HTTP/1.1 200 OK\r\nA: b\r\n", "HTTP/1.1 abc OK\r\n\r\n", "\r\n\r\n"} {
		if _, err := parseHead([]byte(p)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("parseHead(%q): %v, want ErrCorrupt", p, err)
		}
	}
}

func FuzzRaw_RoundTrip(f *testing.F) {
	f.Add(200, "text/html", "a=1", []byte("<html>\r\n\r\n</html>"))
	f.Add(404, "", "", []byte{})
	f.Add(301, "x: y", "\xff\xfe", []byte{0xe3, 0, 0x0d, 0x0a, 0x0d, 0x0a})
	f.Fuzz(func(t *testing.T, status int, ctype, cookie string, body []byte) {
		if status < 100 || status > 999 || strings.ContainsAny(ctype+cookie, "\r\n") {
			t.Skip()
		}
		r := &Raw{Proto: "HTTP/1.1", Status: status, Body: body,
			Header: http.Header{"Content-Type": {ctype}, "Set-Cookie": {cookie, cookie + "2"}}}
		back, err := parseHead(r.Head())
		if err != nil {
			t.Fatal(err)
		}
		if back.Status != status || back.Proto != "HTTP/1.1" {
			t.Errorf("round trip: %d, want %d", back.Status, status)
		}
		if utf8.ValidString(ctype+cookie) && !reflect.DeepEqual(back.Header, r.Header) {
			t.Errorf("headers %q, want %q", back.Header, r.Header)
		}
	})
}

func TestMaxDate_LatestWins(t *testing.T) {
	if got := maxDate("", "2020-01-02", "2019-12-31", ""); got != "2020-01-02" {
		t.Errorf("maxDate = %q", got)
	}
	if got := maxDate(); got != "" {
		t.Errorf("maxDate() = %q", got)
	}
}

func TestDatePart_RFC3339(t *testing.T) {
	for in, want := range map[string]string{"2020-08-30T15:04:00+03:00": "2020-08-30", "2020-08-30": "2020-08-30", "2020": ""} {
		if got := datePart(&in); got != want {
			t.Errorf("datePart(%q) = %q, want %q", in, got, want)
		}
	}
	if datePart(nil) != "" {
		t.Error("datePart(nil) not empty")
	}
}

func TestMergeSections_FirstSeenOrder(t *testing.T) {
	if got := mergeSections([]string{"news"}, []string{"", "transcripts", "news", "transcripts"}); !slices.Equal(got, []string{"news", "transcripts"}) {
		t.Errorf("mergeSections = %q", got)
	}
}
