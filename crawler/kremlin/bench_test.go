package kremlin

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin/samples"
)

// Benchmarks (numbers in the package report):
//
//	go test -run '^$' -bench . -benchmem ./crawler/kremlin

func fixtureBody(b *testing.B, name string) (body []byte, url, lang string) {
	b.Helper()
	for _, fx := range loadFixtures(b) {
		if fx.name == name {
			return fx.body, fx.url, fx.lang
		}
	}
	b.Fatalf("no fixture %s", name)
	return nil, "", ""
}

// chrome is site boilerplate (menus, share links) that makes up most of a
// real page's bytes.
const chrome = `<li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://en.kremlin.ru/events/president/news" class="is-active" itemprop="url"> <span itemprop="name">Events</span> </a> </li> ` +
	`<li><a target="_blank" class="share_to_site no-warning" href="https://www.vk.com/share.php?url=http%3A//en.kremlin.ru/events/president/news/63953&amp;title=Launching%20motor%20traffic" data-service="vkontakte" rel="nofollow">VK</a></li> `

// inflate inserts `chunk` before `before` until body reaches size bytes.
func inflate(body []byte, before, chunk string, size int) []byte {
	i := bytes.LastIndex(body, []byte(before))
	if i < 0 {
		panic("marker not found: " + before)
	}
	var extra bytes.Buffer
	for len(body)+extra.Len() < size {
		extra.WriteString(chunk)
	}
	out := make([]byte, 0, len(body)+extra.Len())
	out = append(out, body[:i]...)
	out = append(out, extra.Bytes()...)
	return append(out, body[i:]...)
}

func benchParse(b *testing.B, body []byte, url, lang string) {
	b.Helper()
	if _, err := ParseDocument(body, url, Options{Lang: lang}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseDocument(body, url, Options{Lang: lang}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDocumentMedian parses a ~31 KB transcript page (the median
// event page size): the labels fixture padded with body paragraphs and
// site chrome.
func BenchmarkParseDocumentMedian(b *testing.B) {
	body, url, lang := fixtureBody(b, "en_transcript_speaker_labels")
	body = inflate(body, `<div class="read__bottommeta`,
		"<p><b>Vladimir Putin:</b> We will\nlook at\u00a0the\u00a0regional budgets once again, colleagues.</p><p>The\u00a0deficit has halved. "+
			"This is good news for\u00a0the\u00a0regions and\u00a0the\u00a0federal budget.</p>", 18<<10)
	body = inflate(body, `</body>`, chrome, 31<<10)
	benchParse(b, body, url, lang)
}

// BenchmarkParseDocumentLong parses a ~220 KB transcript (the size of a
// 3.5-hour Valdai session) built by repeating turn paragraphs.
func BenchmarkParseDocumentLong(b *testing.B) {
	body, url, lang := fixtureBody(b, "en_transcript_speaker_labels")
	body = inflate(body, `<div class="read__bottommeta`,
		"<p><b>Fyodor Lukyanov</b>: Mr\u00a0President, what do\nyou think about the\u00a0future of\u00a0the\u00a0world order?</p>"+
			"<p><b>Vladimir Putin: </b>As\u00a0you know, the\u00a0situation is changing all the\u00a0time, and\u00a0we\nhave to\u00a0follow it closely. "+
			"<a href=\"http://en.kremlin.ru/catalog/persons/119/events\" class=\"person_tag read__tag\">Alexander Lukashenko"+
			tooltipHTML+"</a> agrees.</p><p>We will see.</p>", 200<<10)
	body = inflate(body, `</body>`, chrome, 220<<10)
	benchParse(b, body, url, lang)
}

const tooltipHTML = `<span class="read__tooltip tooltip_person hidden masha-ignore"> <span class="tooltip__close"><i></i></span> <span class="tooltip__text"> <span class="tooltip_title tooltip_link" data-href="/catalog/persons/119/events">Lukashenko Alexander</span><span class="tooltip_description_dark">President of Belarus</span></span> </span>`

// BenchmarkParseDocumentSample55882 parses the real 220 KB Valdai page
// when the samples folder is present.
func BenchmarkParseDocumentSample55882(b *testing.B) {
	root := samples.Root(b)
	body, err := os.ReadFile(filepath.Join(root, "events", "president", "news", "55882.html"))
	if err != nil {
		b.Skip(err)
	}
	benchParse(b, body, "http://en.kremlin.ru/events/president/news/55882", "en")
}

// BenchmarkParseListing parses a 20-item listing page.
func BenchmarkParseListing(b *testing.B) {
	body, url, _ := fixtureBody(b, "listing_en_page2_promoted_teaser")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseListing(body, url); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDocumentSamplesAll parses each real sample event page once
// per iteration (17 pages, 28–220 KB) when the samples folder is present.
func BenchmarkParseDocumentSamplesAll(b *testing.B) {
	root := samples.Root(b)
	files, _ := filepath.Glob(filepath.Join(root, "events", "president", "news", "*.html"))
	type page struct {
		body []byte
		url  string
	}
	var pages []page
	total := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, page{body, "http://en.kremlin.ru/events/president/news/" + filepath.Base(f[:len(f)-5])})
		total += len(body)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range pages {
			if _, err := ParseDocument(p.body, p.url, Options{Lang: "en"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pages)), "ns/page")
}
