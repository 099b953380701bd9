package web

import (
	"html"
	"html/template"
	"reflect"
	"slices"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// diffLine is one line of a readable diff: kept, removed or added text;
// a changed paragraph shows its removed and added words inline.
type diffLine struct {
	Kind string // "same", "del", "ins", "chg"
	HTML template.HTML
}

type fieldDiff struct {
	Field string
	Lines []diffLine
}

// maxDiffCells bounds the work of one comparison (paragraphs × paragraphs
// or words × words); larger inputs are shown as whole replacements.
const maxDiffCells = 4_000_000

// lcsOps aligns a and b: a sequence of ops ('=' both, '-' only a, '+'
// only b) with the indexes they refer to.
type op struct {
	kind byte
	i, j int
}

func lcsOps(a, b []string) []op {
	n, m := len(a), len(b)
	if n*m > maxDiffCells {
		var ops []op
		for i := range a {
			ops = append(ops, op{'-', i, -1})
		}
		for j := range b {
			ops = append(ops, op{'+', -1, j})
		}
		return ops
	}
	// dp[i][j] = LCS length of a[i:], b[j:]
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{'=', i, j})
			i++
			j++
		case dp[i+1][j] >= dp[i][j+1]:
			ops = append(ops, op{'-', i, -1})
			i++
		default:
			ops = append(ops, op{'+', -1, j})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, op{'-', i, -1})
	}
	for ; j < m; j++ {
		ops = append(ops, op{'+', -1, j})
	}
	return ops
}

// wordDiff marks the words removed (<del>) and added (<ins>) between two
// versions of a paragraph.
func wordDiff(a, b string) template.HTML {
	wa, wb := strings.Fields(a), strings.Fields(b)
	var s strings.Builder
	for k, o := range lcsOps(wa, wb) {
		if k > 0 {
			s.WriteByte(' ')
		}
		switch o.kind {
		case '=':
			s.WriteString(html.EscapeString(wa[o.i]))
		case '-':
			s.WriteString("<del>" + html.EscapeString(wa[o.i]) + "</del>")
		case '+':
			s.WriteString("<ins>" + html.EscapeString(wb[o.j]) + "</ins>")
		}
	}
	return template.HTML(s.String())
}

// paraDiff compares two lists of paragraphs: unchanged paragraphs are
// kept short, a removed paragraph followed by an added one is shown as
// one changed paragraph with its words marked.
func paraDiff(a, b []string) []diffLine {
	ops := lcsOps(a, b)
	var out []diffLine
	for k := 0; k < len(ops); k++ {
		o := ops[k]
		switch o.kind {
		case '=':
			near := (k > 0 && ops[k-1].kind != '=') || (k+1 < len(ops) && ops[k+1].kind != '=')
			if near {
				out = append(out, diffLine{"same", template.HTML(html.EscapeString(a[o.i]))})
			} else if len(out) == 0 || out[len(out)-1].HTML != "…" {
				out = append(out, diffLine{"same", "…"})
			}
		case '-':
			if k+1 < len(ops) && ops[k+1].kind == '+' {
				out = append(out, diffLine{"chg", wordDiff(a[o.i], b[ops[k+1].j])})
				k++
				continue
			}
			out = append(out, diffLine{"del", template.HTML(html.EscapeString(a[o.i]))})
		case '+':
			out = append(out, diffLine{"ins", template.HTML(html.EscapeString(b[o.j]))})
		}
	}
	return out
}

func ptr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// recordDiff lists what changed between two versions of a record, field
// by field; fetch details (fetched_at, raw_sha256 …) are not content.
func recordDiff(a, b *record.Record) []fieldDiff {
	var out []fieldDiff
	scalar := func(name, x, y string) {
		if x != y {
			out = append(out, fieldDiff{name, paraDiff([]string{x}, []string{y})})
		}
	}
	scalar("Title", a.Title, b.Title)
	scalar("Date", ptr(a.Date), ptr(b.Date))
	scalar("Time", ptr(a.Time), ptr(b.Time))
	scalar("Last updated", ptr(a.Updated), ptr(b.Updated))
	scalar("Place", ptr(a.Place), ptr(b.Place))
	scalar("Lead", a.Lead, b.Lead)
	if !slices.Equal(a.Sections, b.Sections) {
		out = append(out, fieldDiff{"Sections", paraDiff(a.Sections, b.Sections)})
	}
	if !reflect.DeepEqual(a.Tags, b.Tags) {
		out = append(out, fieldDiff{"Tags", paraDiff(tagLines(a), tagLines(b))})
	}
	if a.Text != b.Text {
		out = append(out, fieldDiff{"Text", paraDiff(splitParas(a.Text), splitParas(b.Text))})
	}
	if !reflect.DeepEqual(turnLines(a), turnLines(b)) {
		out = append(out, fieldDiff{"Speakers", paraDiff(turnLines(a), turnLines(b))})
	}
	return out
}

func tagLines(r *record.Record) []string {
	var out []string
	for k, vs := range r.Tags {
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// turnLines are the speakers of the turns in order (the text is compared
// with the text field).
func turnLines(r *record.Record) []string {
	var out []string
	for _, t := range r.Turns {
		k := ""
		if t.SpeakerKey != nil {
			k = " [" + *t.SpeakerKey + "]"
		}
		out = append(out, t.Speaker+k)
	}
	return out
}
