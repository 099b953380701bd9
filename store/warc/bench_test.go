package warc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store"
)

// BenchmarkWrite writes captures of typical (32 KB, the median event
// page) and large (355 KB, the largest seen) HTML pages into .warc.gz
// files. MB/s counts the response bodies.
//
//	go test -run '^$' -bench Write -benchmem ./store/warc/
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{32 << 10, 355 << 10} {
		b.Run(fmt.Sprintf("body=%dKB", size>>10), func(b *testing.B) {
			const distinct = 16
			caps := make([]*store.Capture, distinct)
			for i := range caps {
				caps[i] = newCapture("en", int64(70000+i), 1, fmt.Sprintf("http://en.kremlin.ru/events/president/transcripts/%d", 70000+i), testNow, nil, textHTML(uint64(i), size))
			}
			w := newTestWriter(b, Options{Dir: b.TempDir()})
			b.SetBytes(int64(len(caps[0].Raw.Body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := w.Write(caps[i%distinct]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			st := w.Stats()
			b.ReportMetric(float64(st.Bytes)/float64(st.RawBytes), "gz-ratio")
		})
	}
}

// textHTML makes an HTML page of n bytes whose paragraphs are random words
// from a fixed vocabulary, so that it compresses about as well as real
// transcript pages (gzip to roughly a third) rather than as a repeated
// line would.
func textHTML(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	vocab := make([]string, 3000)
	vr := rand.New(rand.NewPCG(1, 1))
	for i := range vocab {
		w := make([]byte, 2+vr.IntN(9))
		for j := range w {
			w[j] = byte('a' + vr.IntN(26))
		}
		vocab[i] = string(w)
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html><head><title>Transcript</title></head><body><div class=\"read__content\">")
	for b.Len() < n {
		b.WriteString("<p>")
		for range 20 + rng.IntN(60) {
			b.WriteString(vocab[int(rng.ExpFloat64()*300)%len(vocab)])
			b.WriteByte(' ')
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</div></body></html>")
	return b.Bytes()
}
