package store

// Tests of the unexported building blocks: blob codec, key encoding, the
// stored form of raw responses, date helpers.

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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

func TestCodec_RoundTrip(t *testing.T) {
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
	inputs := [][]byte{nil, {}, []byte("x"), samples[3], bytes.Repeat([]byte{0, 0xff, 0x80}, 10000)}
	for _, id := range []uint32{noDict, 7} {
		for i, p := range inputs {
			b := c.encode(p, id)
			if b[0] != formatZstd || blobDict(b) != id {
				t.Errorf("dict %d input %d: header %x, want format %d dict %d", id, i, b[:blobHeaderN], formatZstd, id)
			}
			got, err := c.decode(b)
			if err != nil || !bytes.Equal(got, p) {
				t.Errorf("dict %d input %d: decode = %d bytes, %v; want %d bytes", id, i, len(got), err, len(p))
			}
			// zstd leaves the content size out of frames under 256 bytes
			// (Storage then does not count them; raw responses are larger).
			if n, err := c.frameSize(b); len(p) >= 256 && (err != nil || n != int64(len(p))) {
				t.Errorf("dict %d input %d: frameSize = %d, %v; want %d", id, i, n, err, len(p))
			}
		}
	}
	// An unknown dictionary is not used: the blob says so.
	b := c.encode(samples[0], 99)
	if blobDict(b) != noDict {
		t.Errorf("encode with an unknown dictionary named %d", blobDict(b))
	}
	if got, err := c.decode(b); err != nil || !bytes.Equal(got, samples[0]) {
		t.Errorf("decode: %v", err)
	}
}

func TestCodec_Decode_Corrupt(t *testing.T) {
	c := newTestCodec(t)
	good := c.encode([]byte(strings.Repeat("hello world ", 100)), noDict)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "0 bytes"},
		{"short", good[:3], "3 bytes"},
		{"unknown format", append([]byte{9}, good[1:]...), "unknown format 9"},
		{"unknown dictionary", append([]byte{formatZstd, 0, 0, 1, 0}, good[blobHeaderN:]...), "dictionary 256"},
		{"truncated frame", good[:len(good)-4], ""},
		{"flipped byte", flipped, ""},
		{"not zstd", append(slices.Clone(good[:blobHeaderN]), "plain text, not a zstd frame"...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.decode(tt.b)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode: %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("decode: %q does not say %q", err, tt.msg)
			}
		})
	}
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

func TestUnmarshalRaw_Corrupt(t *testing.T) {
	for _, p := range []string{"", "HTTP/1.1 200 OK\r\nA: b\r\n", "HTTP/1.1 abc OK\r\n\r\nbody", "\r\n\r\n"} {
		if _, err := unmarshalRaw([]byte(p)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unmarshalRaw(%q): %v, want ErrCorrupt", p, err)
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
		back, err := unmarshalRaw(marshalRaw(r))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Body, body) || back.Status != status || back.Proto != "HTTP/1.1" {
			t.Errorf("round trip: %d %q, want %d %q", back.Status, back.Body, status, body)
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
