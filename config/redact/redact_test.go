package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no url here", "no url here"},
		{"http://en.kremlin.ru/events/president/news/1", "http://en.kremlin.ru/events/president/news/1"},
		{"http://user:secret@127.0.0.1:3128", "http://user:xxxxx@127.0.0.1:3128"},
		// url.Parse quotes a URL that does not parse, password included.
		{`proxy: parse "http://user:secret@127.0.0.1:notaport": invalid port ":notaport" after host`,
			`proxy: parse "http://user:xxxxx@127.0.0.1:notaport": invalid port ":notaport" after host`},
		{"socks5://tok3n@proxy:1080", "socks5://xxxxx@proxy:1080"},
		{"two: http://a:b@h1/x and https://c:d@h2/y", "two: http://a:xxxxx@h1/x and https://c:xxxxx@h2/y"},
		// A password with characters a URL should have escaped.
		{"http://u:p@ss/w#rd@host:1/path", "http://u:xxxxx@host:1/path"},
		{"http://u:p%40ss@host", "http://u:xxxxx@host"},
		// '@' in a path or query is not user information.
		{"http://host/a@b", "http://host/a@b"},
		{"http://host/search?q=a:b@c", "http://host/search?q=a:b@c"},
		{"https://web.archive.org/web/2020/http://en.kremlin.ru/x", "https://web.archive.org/web/2020/http://en.kremlin.ru/x"},
		{`sites="[en=http://admin:hunter2@mirror:8080]"`, `sites="[en=http://admin:xxxxx@mirror:8080]"`},
		{"http://@host", "http://@host"},
	} {
		if got := Secrets(tc.in); got != tc.want {
			t.Errorf("Secrets(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(Handler(h)).With("base", "http://u:pw1@mirror")
		log.WithGroup("g").Info("fetch http://u:pw2@h/x failed",
			"err", errors.New("GET http://u:pw3@h/x: refused"),
			"sites", []string{"en=http://u:pw4@h"},
			"proxy", stringer{"http://u:pw5@p:3128"},
			"n", 42,
			slog.Group("inner", "url", "http://u:pw6@h"))
		out := buf.String()
		for _, secret := range []string{"pw1", "pw2", "pw3", "pw4", "pw5", "pw6"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %s leaked: %s", format, secret, out)
			}
		}
		if format == "json" && !strings.Contains(out, `"n":42`) {
			t.Errorf("json: a number became text: %s", out)
		}
		if strings.Count(out, Mask) != 6 {
			t.Errorf("%s: want 6 masks: %s", format, out)
		}
	}
}
