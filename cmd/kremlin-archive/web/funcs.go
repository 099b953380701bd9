package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

var funcs = template.FuncMap{
	"num":      thousands,
	"day":      formatDay,
	"stamp":    formatStamp,
	"langName": langName,
	"add":      func(a, b int) int { return a + b },
	"paras":    func(s string) []string { return splitParas(s) },
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"speakerKey": func(t record.Turn) string { return speakerKeyOf(t) },
	"query":      func(v url.Values) string { return v.Encode() },
}

// thousands writes n with thin separators: 12,345.
func thousands(n interface{}) string {
	var s string
	switch x := n.(type) {
	case int:
		s = strconv.Itoa(x)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return ""
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatDay turns YYYY-MM-DD into "2 March 2024".
func formatDay(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2 January 2006")
}

// formatStamp turns an RFC 3339 time into "2 March 2024, 14:05" in its
// own offset (Moscow time for the site's stamps), with the offset.
func formatStamp(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	_, off := t.Zone()
	z := "UTC"
	if off != 0 {
		z = "Moscow time, UTC" + t.Format("-07:00")
	}
	return t.Format("2 January 2006, 15:04") + " (" + z + ")"
}

func langName(l string) string {
	switch l {
	case "en":
		return "English"
	case "ru":
		return "Русский"
	}
	return l
}

func splitParas(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n\n")
}
