package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

// chip is an active filter with the link that removes it.
type chip struct {
	Label  string
	Remove string
}

type facetLink struct {
	Label  string
	Count  int
	URL    string
	Active bool
}

type facetView struct {
	Name   string
	Title  string
	Values []facetLink
}

type searchView struct {
	Title   string
	Status  Status
	Form    url.Values
	Q       search.Query
	Res     *search.Result
	Hits    []hitView
	Err     string
	Chips   []chip
	Facets  []facetView
	First   int
	Last    int
	Prev    string
	Next    string
	Sorts   []option
	Langs   []option
	Dates   bool
	Summary string
}

type option struct {
	Value, Label string
	Selected     bool
}

type hitView struct {
	search.Hit
	Link        string
	SpeakerLink string
	SnippetHTML template.HTML
}

// with returns the parameters of v with name set to values (removed when
// none), the offset reset.
func with(v url.Values, name string, values ...string) string {
	c := url.Values{}
	for k, vs := range v {
		if k != "offset" && len(vs) > 0 && vs[0] != "" {
			c[k] = vs
		}
	}
	c.Del(name)
	for _, x := range values {
		if x != "" {
			c.Add(name, x)
		}
	}
	if len(c) == 0 {
		return "/"
	}
	return "/?" + c.Encode()
}

// without removes one value of a repeated parameter.
func without(v url.Values, name, value string) string {
	var keep []string
	for _, x := range v[name] {
		if x != value {
			keep = append(keep, x)
		}
	}
	return with(v, name, keep...)
}

var facetTitles = map[string]string{
	"lang": "Language", "section": "Section", "year": "Year", "persons": "Persons", "topics": "Topics",
	"geography": "Geography", "place": "Place", "speaker": "Speaker",
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	view := &searchView{Title: "Search", Status: s.cfg.Status(), Form: v}
	q, err := search.QueryOf(v)
	view.Q = q
	for _, o := range []option{{search.SortRelevance, "relevance", false}, {search.SortDate, "newest first", false}, {search.SortOldest, "oldest first", false}} {
		o.Selected = q.Sort == o.Value
		view.Sorts = append(view.Sorts, o)
	}
	for _, o := range []option{{"", "both languages", false}, {"en", "English", false}, {"ru", "Русский", false}} {
		o.Selected = q.Lang == o.Value
		view.Langs = append(view.Langs, o)
	}
	if err != nil {
		view.Err = err.Error()
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, "search.html", view)
		return
	}
	ix, release, err := s.index()
	defer release()
	if err != nil {
		view.Err = "The search index is being opened; try again in a moment."
		w.WriteHeader(http.StatusServiceUnavailable)
		s.render(w, "search.html", view)
		return
	}
	ctx, cancel := requestContext(r)
	defer cancel()
	q.Facets = true
	res, err := ix.Search(ctx, q)
	if err != nil {
		s.cfg.Log.Error("search failed", "query", r.URL.RawQuery, "err", err)
		view.Err = "The search failed: " + err.Error()
		w.WriteHeader(http.StatusInternalServerError)
		s.render(w, "search.html", view)
		return
	}
	view.Res = res
	if q.Q != "" {
		view.Title = q.Q + " — search"
	}
	for _, h := range res.Hits {
		hv := hitView{Hit: h, SnippetHTML: template.HTML(h.Snippet)} // built by the highlighter: escaped text and <mark>
		hv.Link = fmt.Sprintf("/doc/%s/%d", h.Lang, h.ID)
		if q.Q != "" {
			hv.Link += "?q=" + url.QueryEscape(q.Q)
		}
		if h.Turn >= 0 {
			hv.Link += fmt.Sprintf("#t%d", h.Turn)
		}
		if h.SpeakerKey != "" {
			hv.SpeakerLink = with(url.Values{}, "speaker", h.SpeakerKey)
		}
		view.Hits = append(view.Hits, hv)
	}
	view.First = q.Offset + 1
	view.Last = q.Offset + len(res.Hits)
	if q.Offset > 0 {
		view.Prev = with(v, "offset", strconv.Itoa(max(0, q.Offset-q.Limit)))
	}
	if uint64(q.Offset+q.Limit) < res.Total && q.Offset+q.Limit <= search.MaxOffset {
		view.Next = with(v, "offset", strconv.Itoa(q.Offset+q.Limit))
	}
	view.Chips = chips(v, q, ix)
	view.Facets = facets(v, q, res)
	s.render(w, "search.html", view)
}

func chips(v url.Values, q search.Query, ix *search.Index) []chip {
	var out []chip
	if q.Lang != "" {
		out = append(out, chip{"language: " + langName(q.Lang), with(v, "lang")})
	}
	if q.Section != "" {
		out = append(out, chip{"section: " + q.Section, with(v, "section")})
	}
	if q.From != "" {
		out = append(out, chip{"from " + formatDay(q.From), with(v, "from")})
	}
	if q.To != "" {
		out = append(out, chip{"to " + formatDay(q.To), with(v, "to")})
	}
	if q.Speaker != "" {
		name := ix.SpeakerName(q.Speaker, q.Lang)
		if name == "" {
			name = q.Speaker
		}
		out = append(out, chip{"said by " + name, with(v, "speaker")})
	}
	for _, t := range v["tag"] {
		label := ix.TagLabel(t, q.Lang)
		if label == "" {
			label = t
		}
		if _, text, ok := strings.Cut(t, ":"); ok && label == t && !strings.Contains(t, "/") {
			label = text
		}
		out = append(out, chip{"tag: " + label, without(v, "tag", t)})
	}
	if q.Place != "" {
		out = append(out, chip{"place: " + q.Place, with(v, "place")})
	}
	return out
}

func facets(v url.Values, q search.Query, res *search.Result) []facetView {
	var out []facetView
	for _, name := range search.FacetNames() {
		vals := res.Facets[name]
		if len(vals) == 0 {
			continue
		}
		fv := facetView{Name: name, Title: facetTitles[name]}
		if name == "speaker" && !res.Turns {
			fv.Title = "Speaker (documents)"
		}
		for _, x := range vals {
			l := facetLink{Label: x.Label, Count: x.Count}
			switch name {
			case "lang":
				l.Label = langName(x.Value)
				l.URL, l.Active = with(v, "lang", x.Value), q.Lang == x.Value
			case "section":
				l.URL, l.Active = with(v, "section", x.Label), strings.EqualFold(q.Section, x.Label)
			case "year":
				u := url.Values{}
				for k, vs := range v {
					u[k] = vs
				}
				u.Set("from", x.Value+"-01-01")
				l.URL = with(u, "to", x.Value+"-12-31")
				l.Active = q.From == x.Value+"-01-01" && q.To == x.Value+"-12-31"
			case "persons", "topics", "geography":
				active := false
				for _, t := range v["tag"] {
					active = active || t == x.Value
				}
				l.URL, l.Active = with(v, "tag", append(append([]string{}, v["tag"]...), x.Value)...), active
				if active {
					l.URL = without(v, "tag", x.Value)
				}
			case "place":
				l.URL, l.Active = with(v, "place", x.Label), strings.EqualFold(q.Place, x.Label)
			case "speaker":
				l.URL, l.Active = with(v, "speaker", x.Value), q.Speaker == x.Value
			}
			fv.Values = append(fv.Values, l)
		}
		out = append(out, fv)
	}
	return out
}

func speakerKeyOf(t record.Turn) string { return search.SpeakerGroup(&t) }

// errorText is a short explanation of a request error for pages.
func errorText(err error) string {
	if errors.Is(err, errNoIndex) {
		return "The search index is being opened; try again in a moment."
	}
	return err.Error()
}
