package web

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

// docRef reads {lang} and {id} of a document URL.
func docRef(r *http.Request) (string, int64, error) {
	lang := r.PathValue("lang")
	if lang != "en" && lang != "ru" {
		return "", 0, fmt.Errorf("language must be en or ru (got %q)", lang)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return "", 0, fmt.Errorf("%q is not a document ID", r.PathValue("id"))
	}
	return lang, id, nil
}

func otherLang(l string) string {
	if l == "en" {
		return "ru"
	}
	return "en"
}

// loaded is a document as read for a page: from the archive, or from the
// index while the archive is busy.
type loaded struct {
	Rec       *record.Record
	Doc       *store.Doc // nil when read from the index
	Versions  int
	Version   int  // the version shown
	HasOther  bool // the other language has this ID
	FromIndex bool
}

// errNotFound means the document is not archived.
var errNotFound = errors.New("not in the archive")

// load reads version v (0 = current) of a document and whether the other
// language has it, from the archive; while the archive is busy, the
// current version from the index.
func (s *Server) load(lang string, id int64, v int) (*loaded, error) {
	var out loaded
	err := s.withArchive(func(db *store.DB) error {
		d, err := db.Doc(lang, id)
		if err != nil {
			return err
		}
		if d == nil || d.Versions == 0 {
			return errNotFound
		}
		if v <= 0 || v > d.Versions {
			if v > d.Versions {
				return fmt.Errorf("%w: document %s/%d has %d version(s), not %d", errNotFound, lang, id, d.Versions, v)
			}
			v = d.Versions
		}
		rec, err := db.Record(lang, id, v)
		if err != nil {
			return err
		}
		rec.Version = d.Versions
		if s.cfg.Resolve != nil {
			complete, err := s.cfg.Resolve(db)
			if err != nil {
				return err
			}
			if err := complete(rec); err != nil {
				return err
			}
		}
		rec.Normalize()
		o, err := db.Doc(otherLang(lang), id)
		if err != nil {
			return err
		}
		out = loaded{Rec: rec, Doc: d, Versions: d.Versions, Version: v, HasOther: o != nil && o.Versions > 0}
		return nil
	})
	if err == nil || !busy(err) || v > 0 {
		return &out, err
	}
	ix, release, ierr := s.index()
	defer release()
	if ierr != nil {
		return nil, err
	}
	rec, ierr := ix.Record(lang, id)
	if ierr != nil || rec == nil {
		return nil, err
	}
	return &loaded{Rec: rec, Versions: rec.Version, Version: rec.Version, HasOther: ix.Has(otherLang(lang), id), FromIndex: true}, nil
}

type turnView struct {
	N       int
	Speaker string
	Key     string
	Note    string
	Paras   []template.HTML
}

type tagLink struct {
	Label string
	URL   string
}

type tagGroup struct {
	Kind string
	Tags []tagLink
}

// docBody is one record laid out for reading.
type docBody struct {
	Rec      *record.Record
	Lead     template.HTML
	Preamble []template.HTML
	Turns    []turnView
	Tags     []tagGroup
	Sections []tagLink
	Place    string
	PlaceURL string
}

type docView struct {
	Title    string
	Status   Status
	Lang     string
	ID       int64
	L        *loaded
	Body     docBody
	Other    *docBody // side by side
	OtherURL string
	SideURL  string
	Side     bool
	Q        string
	Notice   string
}

var tagTitles = map[string]string{"persons": "Persons", "topics": "Topics", "geography": "Geography"}

// layout splits a record into its parts for the page; mark escapes a
// paragraph (marking the matches of a search).
func layout(rec *record.Record, mark func(string) string) docBody {
	b := docBody{Rec: rec, Lead: template.HTML(mark(rec.Lead))}
	paras := splitParas(rec.Text)
	first := len(paras)
	if len(rec.Turns) > 0 {
		t := rec.Turns[0]
		for i, p := range paras {
			if strings.HasPrefix(p, t.Speaker+":") || strings.HasPrefix(p, t.Speaker+" (") {
				first = i
				break
			}
		}
	}
	for _, p := range paras[:first] {
		b.Preamble = append(b.Preamble, template.HTML(mark(p)))
	}
	for i, t := range rec.Turns {
		tv := turnView{N: i, Speaker: t.Speaker, Key: search.SpeakerGroup(&t), Note: t.Note}
		for _, p := range splitParas(t.Text) {
			tv.Paras = append(tv.Paras, template.HTML(mark(p)))
		}
		b.Turns = append(b.Turns, tv)
	}
	kinds := make([]string, 0, len(rec.Tags))
	for k := range rec.Tags {
		kinds = append(kinds, k)
	}
	order := map[string]int{"persons": 0, "topics": 1, "geography": 2}
	sort.Slice(kinds, func(i, j int) bool {
		oi, ok1 := order[kinds[i]]
		oj, ok2 := order[kinds[j]]
		if !ok1 {
			oi = 9
		}
		if !ok2 {
			oj = 9
		}
		if oi != oj {
			return oi < oj
		}
		return kinds[i] < kinds[j]
	})
	for _, k := range kinds {
		g := tagGroup{Kind: tagTitles[k]}
		if g.Kind == "" {
			g.Kind = k
		}
		for i, text := range rec.Tags[k] {
			g.Tags = append(g.Tags, tagLink{Label: text, URL: with(url.Values{}, "tag", search.TagFilter(rec, k, i))})
		}
		b.Tags = append(b.Tags, g)
	}
	for _, s := range rec.Sections {
		b.Sections = append(b.Sections, tagLink{Label: s, URL: with(url.Values{}, "section", s)})
	}
	if rec.Place != nil && *rec.Place != "" {
		b.Place = *rec.Place
		b.PlaceURL = with(url.Values{}, "place", *rec.Place)
	}
	return b
}

// pageRef reads the document and version (?v=, 0: the current one) a
// page is about; on an error it has written the error page and ok is false.
func (s *Server) pageRef(w http.ResponseWriter, r *http.Request) (lang string, id int64, v int, ok bool) {
	lang, id, err := docRef(r)
	if err != nil {
		s.errorPage(w, http.StatusNotFound, "No such document", err.Error())
		return "", 0, 0, false
	}
	if x := r.URL.Query().Get("v"); x != "" {
		if v, err = strconv.Atoi(x); err != nil || v < 1 {
			s.errorPage(w, http.StatusBadRequest, "Bad version", "v must be a version number (1 = oldest)")
			return "", 0, 0, false
		}
	}
	return lang, id, v, true
}

func (s *Server) docPage(w http.ResponseWriter, r *http.Request) {
	lang, id, v, ok := s.pageRef(w, r)
	if !ok {
		return
	}
	l, err := s.load(lang, id, v)
	if err != nil {
		s.docError(w, lang, id, err)
		return
	}
	q := r.URL.Query().Get("q")
	mark := html.EscapeString
	if ix, release, err := s.index(); err == nil {
		mark = ix.Marker(lang, q)
		defer release()
	} else {
		release()
	}
	view := &docView{Title: l.Rec.Title, Status: s.cfg.Status(), Lang: lang, ID: id, L: l, Body: layout(l.Rec, mark), Q: q}
	if l.FromIndex {
		view.Notice = "The archive is busy (a crawl is writing to it): this is the indexed copy of the current version. Versions and the raw page can be read when the crawl pauses or ends."
	}
	keep := url.Values{}
	if q != "" {
		keep.Set("q", q)
	}
	if l.HasOther {
		view.OtherURL = fmt.Sprintf("/doc/%s/%d", otherLang(lang), id)
		if len(keep) > 0 {
			view.OtherURL += "?" + keep.Encode()
		}
		side := url.Values{"side": {"1"}}
		if q != "" {
			side.Set("q", q)
		}
		view.SideURL = fmt.Sprintf("/doc/%s/%d?%s", lang, id, side.Encode())
	}
	if r.URL.Query().Get("side") != "" && l.HasOther {
		ol, err := s.load(otherLang(lang), id, 0)
		if err == nil {
			omark := html.EscapeString
			if ix, release, err := s.index(); err == nil {
				omark = ix.Marker(otherLang(lang), q)
				defer release()
			} else {
				release()
			}
			ob := layout(ol.Rec, omark)
			view.Other, view.Side = &ob, true
		}
	}
	s.render(w, "doc.html", view)
}

func (s *Server) docError(w http.ResponseWriter, lang string, id int64, err error) {
	switch {
	case errors.Is(err, errNotFound):
		s.errorPage(w, http.StatusNotFound, "Not in the archive", fmt.Sprintf("Document %s/%d is not in the archive (%v).", lang, id, err))
	case busy(err):
		w.Header().Set("Retry-After", "30")
		s.errorPage(w, http.StatusServiceUnavailable, "The archive is busy",
			"A crawl is writing to the archive and this page needs to read it. Try again when the crawl pauses or ends; searches keep working meanwhile.")
	default:
		s.cfg.Log.Error("reading the archive failed", "doc", fmt.Sprintf("%s/%d", lang, id), "err", err)
		s.errorPage(w, http.StatusInternalServerError, "The archive could not be read", err.Error())
	}
}

type errorView struct {
	Title   string
	Status  Status
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, code int, title, msg string) {
	w.WriteHeader(code)
	s.render(w, "error.html", &errorView{Title: title, Status: s.cfg.Status(), Message: msg})
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Log.Error("rendering a page failed", "template", name, "err", err)
	}
}
