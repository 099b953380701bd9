// Package redact removes credentials from text before it leaves the
// program: log lines, error messages, the run ledger, the frontier's
// error texts. One function, Secrets, is used at every such exit.
//
// Credentials come with URLs: a proxy "http://user:secret@host:3128", a
// base URL "http://user:secret@mirror". They also show up in messages
// that quote a URL which does not even parse ("invalid port" errors quote
// it whole), so the redaction works on text, not on parsed URLs.
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Mask replaces a password (or a lone user-info token) in the output.
const Mask = "xxxxx"

// Secrets returns s with the user information of every URL in it
// redacted: "scheme://user:password@host" becomes
// "scheme://user:xxxxx@host", and "scheme://token@host" (a user name
// alone, which proxies often use as an API key) becomes
// "scheme://xxxxx@host". Text without "://" is returned unchanged.
func Secrets(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i+3])
		rest = rest[i+3:]
		// The authority (and anything up to the end of the token) ends
		// at white space, a quote or an angle bracket; the user
		// information ends at the last '@' before that.
		end := strings.IndexFunc(rest, func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '\'' || r == '`' || r == '<' || r == '>'
		})
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		at := strings.LastIndexByte(tok, '@')
		if at <= 0 {
			continue
		}
		info := tok[:at]
		user, _, hasPass := strings.Cut(info, ":")
		switch {
		case hasPass && !strings.ContainsAny(user, "/?#"):
			// user:password — the password may contain any character,
			// even an unescaped '/' or '@'.
			b.WriteString(user + ":" + Mask)
		case !hasPass && !strings.ContainsAny(info, "/?#"):
			b.WriteString(Mask)
		default:
			// An '@' in a path or query ("/a@b"), not user information.
			continue
		}
		rest = rest[at:]
	}
	return b.String()
}

// Handler wraps a slog.Handler so that every message and attribute
// value it writes passes through Secrets. Values that are not strings
// (errors, Stringers, slices) are rendered as text only when redaction
// changes them, so numbers stay numbers in JSON logs.
func Handler(h slog.Handler) slog.Handler { return &handler{h} }

type handler struct{ h slog.Handler }

func (r *handler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Secrets(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = attr(a)
	}
	return &handler{r.h.WithAttrs(clean)}
}

func (r *handler) WithGroup(name string) slog.Handler { return &handler{r.h.WithGroup(name)} }

// attr redacts one attribute (groups recursively).
func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Secrets(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		var text string
		switch x := v.Any().(type) {
		case error:
			text = x.Error()
		case fmt.Stringer:
			text = x.String()
		default:
			text = fmt.Sprint(x)
		}
		if red := Secrets(text); red != text {
			return slog.String(a.Key, red)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
