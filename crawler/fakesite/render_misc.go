package fakesite

import (
	"fmt"
	"net/http"
	"strings"
)

// DefaultRobots is en.kremlin.ru's robots.txt as fetched on 2020-08-29
// (SPEC §6.1), the only copy known; the fake RU host serves it too.
const DefaultRobots = `User-agent: *
# news
Disallow: /search
# subscription
Disallow: /subscribe/sms/send
Disallow: /subscribe/sms/check
Disallow: /subscribe/sms/save
Disallow: /subscribe/sms/unsubscribe
Disallow: /subscribe/daily/send
Disallow: /subscribe/daily/subscribe
Disallow: /subscribe/daily/unsubscribe
Disallow: /subscribe/weekly/send
Disallow: /subscribe/weekly/unsubscribe
Disallow: /subscribe/weekly/save
Disallow: /events/president/news/copy
Disallow: /misc/copy
Disallow: /events/administration/copy
Disallow: /events/state-council/copy
Disallow: /events/security-council/copy
Disallow: /events/councils/copy
Disallow: /acts/news/copy/
`

// RobotsWith returns DefaultRobots with extra lines added to the
// "User-agent: *" group, e.g. RobotsWith("Crawl-delay: 5") or
// RobotsWith("Disallow: /events/president/transcripts").
func RobotsWith(lines ...string) string {
	return DefaultRobots + strings.Join(lines, "\n") + "\n"
}

// render404 renders the site's own "page not found" page (served with 404).
func (rd *renderer) render404(path string) []byte {
	l := rd.l
	h := pageHead{
		title:  l.notFoundTitle + l.titleSuffix,
		altURL: rd.altURL("/"),
	}
	content := ` <div class="content content_main content_error"> <div class="content__in"> <div class="error_page"> <h1 class="error_page__title">` + l.notFoundTitle + `</h1> <p class="error_page__code">404</p> <p class="error_page__text">` + l.notFoundText + `</p> <p><a href="` + rd.abs("/") + `">` + l.home + `</a></p> </div> </div> </div> `
	var b strings.Builder
	rd.page(&b, h, "", content, "")
	return []byte(b.String())
}

// renderHome renders a minimal home page linking the configured sections.
func (rd *renderer) renderHome(sections []string) []byte {
	l := rd.l
	h := pageHead{title: l.siteName, altURL: rd.altURL("/")}
	var c strings.Builder
	c.WriteString(` <div class="content content_main"> <div class="content__in"> <ul class="home__sections">`)
	for _, s := range sections {
		c.WriteString(`<li><a href="` + rd.sectionPath(s) + `">` + l.sectionName(s) + `</a></li>`)
	}
	c.WriteString(`</ul> </div> </div> `)
	var b strings.Builder
	rd.page(&b, h, "", c.String(), "")
	return []byte(b.String())
}

// challengePage is a plausible JavaScript anti-bot interstitial (no capture
// of the real one is known): HTTP 200, no site markup, a script that sets a
// cookie and reloads.
func challengePage(lang string, token uint64) []byte {
	msg := "Checking your browser before accessing the website. This process is automatic. Your browser will redirect to your requested content shortly."
	title := "Just a moment..."
	if lang == LangRU {
		msg = "Проверка браузера перед переходом на сайт. Это автоматический процесс. Вы будете перенаправлены на запрошенную страницу через несколько секунд."
		title = "Проверка браузера…"
	}
	return []byte(fmt.Sprintf(`<!DOCTYPE html>
<html lang="%s"><head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow"><title>%s</title>
<style>body{font-family:sans-serif;text-align:center;padding-top:15%%}</style></head>
<body><div id="challenge-body"><h1>%s</h1><p>%s</p>
<noscript><p>Please enable JavaScript and cookies to continue.</p></noscript>
<form id="challenge-form" action="/__challenge" method="POST"><input type="hidden" name="jschl_vc" value="%016x"></form>
<script>(function(){var t="%016x";document.cookie="__ddg_check="+t+"; path=/; max-age=600";setTimeout(function(){location.reload()},4000);})();</script>
<p class="ray-id">Ray ID: %08x</p></div></body></html>
`, lang, title, title, msg, token, splitmix(token), uint32(token)))
}

// statusPage is a bare nginx-style error body for status code.
func statusPage(code int) []byte {
	text := http.StatusText(code)
	return []byte(fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", code, text, code, text))
}
