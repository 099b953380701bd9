package kremlin

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// parseBody runs the body pipeline on an HTML fragment.
func parseBody(t *testing.T, fragment string) (string, []record.Turn) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(`<div class="read__internal_content">` + fragment + `</div>`))
	if err != nil {
		t.Fatal(err)
	}
	var body *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if body == nil && hasClass(n, "read__internal_content") {
			body = n
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	text, turns, _ := buildTurns(bodyParagraphs(body))
	return text, turns
}

const tip = `<span class="read__tooltip tooltip_person hidden masha-ignore"> <span class="tooltip__text"> <span class="tooltip_title tooltip_link">Shoigu Sergei</span><span class="tooltip_description_dark">Minister of Defence</span></span> </span>`

func TestSpeakerLabels(t *testing.T) {
	type turn struct{ speaker, note, text string }
	for _, c := range []struct {
		name string
		html string
		want []turn // nil: no turn
	}{
		{"colon inside bold", `<p><b>Vladimir Putin:</b> Thank you.</p>`, []turn{{"Vladimir Putin", "", "Thank you."}}},
		{"colon after bold", `<p><b>John Fraher</b>: But nevertheless.</p>`, []turn{{"John Fraher", "", "But nevertheless."}}},
		{"split bold", `<p><b>Alexander Shokhin</b><b>:</b> The situation.</p>`, []turn{{"Alexander Shokhin", "", "The situation."}}},
		{"split bold with space", `<p><b>Vladimir Putin</b><b>: </b>Perhaps.</p>`, []turn{{"Vladimir Putin", "", "Perhaps."}}},
		{"newline and NBSP in label", "<p><b>\u00a0President\nof\u00a0Russia Vladimir Putin:</b>\nGood afternoon.</p>", []turn{{"President of Russia Vladimir Putin", "", "Good afternoon."}}},
		{"note after bold", "<p><b>Prime Minister of\u00a0Belgium Charles Michel</b> (<i>retranslated</i>):\nThank you.</p>",
			[]turn{{"Prime Minister of Belgium Charles Michel", "retranslated", "Thank you."}}},
		{"note inside bold", `<p><b>Charles Michel (retranslated):</b> Thank you.</p>`, []turn{{"Charles Michel", "retranslated", "Thank you."}}},
		{"note with space before colon", `<p><b>Charles Michel</b> <i>(re-translated)</i> : Thank you.</p>`, []turn{{"Charles Michel", "re-translated", "Thank you."}}},
		{"two notes", `<p><b>Xi Jinping</b> (retranslated) (laughs): Yes.</p>`, []turn{{"Xi Jinping", "retranslated; laughs", "Yes."}}},
		{"colon inside the note", `<p><b>Emmanuel Macron (translated: from French)</b>: Yes.</p>`, []turn{{"Emmanuel Macron", "translated: from French", "Yes."}}},
		{"parenthesis inside the label stays", `<p><b>Director-General of the Agency (IRENA) Adnan Z. Amin:</b> Hello.</p>`,
			[]turn{{"Director-General of the Agency (IRENA) Adnan Z. Amin", "", "Hello."}}},
		{"swallowed letter", "<p><b>President of\u00a0Russia\nVladimir Putin: G</b>ood afternoon, colleagues.</p>",
			[]turn{{"President of Russia Vladimir Putin", "", "Good afternoon, colleagues."}}},
		{"swallowed words", `<p><b>Vladimir Putin: Good afternoon,</b> colleagues.</p>`, []turn{{"Vladimir Putin", "", "Good afternoon, colleagues."}}},
		{"whole paragraph bold", `<p><b>Andrei Vandenko: Where have we lost it?</b></p>`, []turn{{"Andrei Vandenko", "", "Where have we lost it?"}}},
		{"person link with tooltip inside label", `<p><b>Defence Minister <a class="person_tag" href="/catalog/persons/90/events">Sergei Shoigu` + tip + `</a>:</b> Yes.</p>`,
			[]turn{{"Defence Minister Sergei Shoigu", "", "Yes."}}},
		{"bold inside person link", `<p><b>Defence Minister </b><a class="person_tag" href="/catalog/persons/90/events"><b>Sergei Shoigu</b>` + tip + `</a>: Yes.</p>`,
			[]turn{{"Defence Minister Sergei Shoigu", "", "Yes."}}},
		{"bold link split bold", `<p><b>Minister <a class="person_tag" href="/x">Sergei Shoigu` + tip + `</a></b><b>:</b> Yes.</p>`,
			[]turn{{"Minister Sergei Shoigu", "", "Yes."}}},
		{"strong and italic wrapper", `<p><i><strong>Question:</strong></i> What next?</p>`, []turn{{"Question", "", "What next?"}}},
		{"russian initials", "<p><b>Г.Греф:</b>\u00a0Добрый день!</p><p><b>В.Путин: С</b>пасибо.</p>",
			[]turn{{"Г.Греф", "", "Добрый день!"}, {"В.Путин", "", "Спасибо."}}},
		{"russian note", `<p><b>Э.Макрон</b> (<i>синхронный перевод</i>): Спасибо.</p>`, []turn{{"Э.Макрон", "синхронный перевод", "Спасибо."}}},
		{"label alone, speech follows", `<p><b>Vladimir Putin:</b></p><p>We will see.</p><p>Thank you.</p>`,
			[]turn{{"Vladimir Putin", "", "We will see.\n\nThank you."}}},
		{"narrative before first label, headings continue the turn",
			`<p>The meeting began.</p><p><b>* * *</b></p><p><b>Vladimir Putin:</b> Hello.</p><p><b>Beginning of meeting</b></p><blockquote><p>Quote.</p></blockquote><p>&lt;…&gt;</p>`,
			[]turn{{"Vladimir Putin", "", "Hello.\n\nBeginning of meeting\n\nQuote.\n\n<…>"}}},

		// Not labels.
		{"bold sentence with a colon", `<p><b>The following decisions were taken: to extend the programme</b> and to fund it.</p>`, nil},
		{"time in bold", `<p><b>At 10:30</b> the session resumed.</p>`, nil},
		{"time split by the bold", `<p><b>At 10:</b>30 the session resumed.</p>`, nil},
		{"url in bold", `<p><b>http://kremlin.ru</b> is the address.</p>`, nil},
		{"question mark in label", `<p><b>Why not?</b>: because.</p>`, nil},
		{"digit first", `<p><b>1. On the budget:</b> approved.</p>`, nil},
		{"not bold at the start", `<p>The President said: <b>we will not retreat</b>.</p>`, nil},
		{"plain link label", `<p><a class="person_tag" href="/x">Sergei Shoigu</a>: Yes.</p>`, nil},
		{"bold then plain text before colon", `<p><b>Important</b> point: yes.</p>`, nil},
		{"non-bold link inside label", `<p><b>Minister </b><a class="person_tag" href="/x">Sergei Shoigu</a><b>:</b> Yes.</p>`, nil},
		{"empty bold", `<p><b> </b>Vladimir Putin: yes.</p>`, nil},
		{"bold without colon", `<p><b>Beginning of meeting with Government members</b></p>`, nil},
		{"label too long", `<p><b>` + strings.Repeat("Very ", 50) + `Long:</b> x</p>`, nil},
		{"note too far", `<p><b>Name</b> (` + strings.Repeat("a ", 150) + `): x</p>`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, turns := parseBody(t, c.html)
			var got []turn
			for _, tr := range turns {
				got = append(got, turn{tr.Speaker, tr.Note, tr.Text})
			}
			if len(got) != len(c.want) {
				t.Fatalf("turns = %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("turn %d = %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestBodyText(t *testing.T) {
	for _, c := range []struct{ name, html, want string }{
		{"hard wraps and NBSP", "<p>The\u00a0President\ndrove  an\tAurus. </p><p>\u00a0</p><p>Second.</p>", "The President drove an Aurus.\n\nSecond."},
		{"tooltips, cuts, media removed", `<div class="slider masha-ignore"><p>caption</p></div><p>Met <a class="person_tag">Sergei Shoigu` + tip + `</a>.</p>` +
			`<div class="read__cut masha-ignore"><h3 class="cut__title">See also</h3><a>Trip</a></div>` +
			`<div class="read__bottommeta hidden-copy"><div class="read__tags masha-ignore"><h3>Topics</h3></div><div class="read__status masha-ignore"><p>Published in section: News</p></div></div>`,
			"Met Sergei Shoigu."},
		{"glossary tooltip", `<p>The <a class="termin_tag read__tag">Battle<span class="read__tooltip tooltip_term hidden masha-ignore"> <span class="tooltip_title">Background information</span></span></a> ended.</p>`, "The Battle ended."},
		{"superscript and br", `<p>14<sup>th</sup> meeting<br/>in Sochi</p>`, "14th meeting in Sochi"},
		{"loose text and headings", `Loose text <i>here</i><h3>A heading</h3><ul><li>one</li><li><p>two</p></li></ul><hr/><table><tr><td>cell</td></tr></table>`,
			"Loose text here\n\nA heading\n\none\n\ntwo\n\ncell"},
		{"script and style", `<p>a<script>var x = 1;</script><style>p{}</style>b</p>`, "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _ := parseBody(t, c.html)
			if got != c.want {
				t.Errorf("text = %q, want %q", got, c.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"": "", " ": "", "a": "a", "a b": "a b", " a": "a", "a ": "a", "a  b": "a b", "a\nb": "a b",
		"a\u00a0\u00a0b": "a b", "\u2003x\u3000y\u202f": "x y", "Ж  ж": "Ж ж", "a\u200bb": "a\u200bb",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}
