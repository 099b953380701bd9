package web

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

type versionRow struct {
	N         int
	FetchedAt string
	Updated   string
	Changed   string
}

type versionsView struct {
	Title    string
	Status   Status
	Lang     string
	ID       int64
	Current  string
	Versions []versionRow
	A, B     int
	Diff     []fieldDiff
}

func (s *Server) versionsPage(w http.ResponseWriter, r *http.Request) {
	lang, id, err := docRef(r)
	if err != nil {
		s.errorPage(w, http.StatusNotFound, "No such document", err.Error())
		return
	}
	var vs []store.Version
	err = s.withArchive(func(db *store.DB) error {
		vs, err = db.Versions(lang, id)
		if err == nil && len(vs) == 0 {
			err = errNotFound
		}
		return err
	})
	if err != nil {
		s.docError(w, lang, id, err)
		return
	}
	view := &versionsView{Title: "Versions of " + vs[len(vs)-1].Record.Title, Status: s.cfg.Status(), Lang: lang, ID: id,
		Current: vs[len(vs)-1].Record.Title, B: len(vs), A: max(1, len(vs)-1)}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		to   *int
	}{{"a", &view.A}, {"b", &view.B}} {
		if x := q.Get(p.name); x != "" {
			n, err := strconv.Atoi(x)
			if err != nil || n < 1 || n > len(vs) {
				s.errorPage(w, http.StatusBadRequest, "Bad version", fmt.Sprintf("%s must be a version from 1 to %d", p.name, len(vs)))
				return
			}
			*p.to = n
		}
	}
	for i, v := range vs {
		row := versionRow{N: v.N, FetchedAt: v.Record.FetchedAt, Updated: ptr(v.Record.Updated), Changed: "first copy"}
		if i > 0 {
			var names []string
			for _, d := range recordDiff(vs[i-1].Record, v.Record) {
				names = append(names, d.Field)
			}
			row.Changed = strings.Join(names, ", ")
			if row.Changed == "" {
				row.Changed = "—"
			}
		}
		view.Versions = append(view.Versions, row)
	}
	if view.A != view.B {
		view.Diff = recordDiff(vs[view.A-1].Record, vs[view.B-1].Record)
	}
	s.render(w, "versions.html", view)
}

// raw reads version {v} (or ?v=, 0 = current) of a document's raw page.
func (s *Server) raw(lang string, id int64, v int) (*store.Raw, *record.Record, int, int, error) {
	var raw *store.Raw
	var rec *record.Record
	var versions int
	err := s.withArchive(func(db *store.DB) error {
		d, err := db.Doc(lang, id)
		if err != nil {
			return err
		}
		if d == nil || d.Versions == 0 {
			return errNotFound
		}
		versions = d.Versions
		if v == 0 {
			v = d.Versions
		}
		if v < 1 || v > d.Versions {
			return fmt.Errorf("%w: document %s/%d has %d version(s), not %d", errNotFound, lang, id, d.Versions, v)
		}
		if raw, err = db.RawResponse(lang, id, v); err != nil {
			return err
		}
		if raw == nil {
			return errNotFound
		}
		rec, err = db.Record(lang, id, v)
		return err
	})
	return raw, rec, v, versions, err
}

type rawView struct {
	Title      string
	Status     Status
	Lang       string
	ID         int64
	V          int
	Versions   int
	Raw        *store.Raw
	Head       string
	SHA        string
	FetchedAt  string
	Source     string
	CapturedAt string
}

func (s *Server) rawPage(w http.ResponseWriter, r *http.Request) {
	lang, id, v, ok := s.pageRef(w, r)
	if !ok {
		return
	}
	raw, rec, v, versions, err := s.raw(lang, id, v)
	if err != nil {
		s.docError(w, lang, id, err)
		return
	}
	rec.Normalize()
	view := &rawView{Title: rec.Title, Status: s.cfg.Status(), Lang: lang, ID: id, V: v, Versions: versions, Raw: raw,
		Head: string(raw.Head()), SHA: raw.SHA256(), FetchedAt: raw.FetchedAt.UTC().Format(time.RFC3339),
		Source: rec.Source, CapturedAt: rec.CapturedAt}
	s.render(w, "raw.html", view)
}

// rawCSP is the policy of a raw page: it loads nothing (no style sheet,
// image, font, frame or script from anywhere but inline styles and data:
// images), runs no script (the sandbox directive without allow-scripts
// also makes it a unique origin and blocks forms, pop-ups and automatic
// navigation), and may be framed only by this server.
const rawCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"

func (s *Server) rawBody(w http.ResponseWriter, r *http.Request) {
	lang, id, err := docRef(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || v < 1 {
		http.Error(w, "bad version", http.StatusNotFound)
		return
	}
	raw, _, _, _, err := s.raw(lang, id, v)
	if err != nil {
		code := http.StatusInternalServerError
		switch {
		case busy(err):
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "30")
		case strings.Contains(err.Error(), errNotFound.Error()):
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", rawCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-DNS-Prefetch-Control", "off")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	ct := raw.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
		ct = "text/html; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	if r.URL.Query().Get("download") != "" {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d-v%d.html"`, lang, id, v))
	}
	h.Set("Content-Length", strconv.Itoa(len(raw.Body)))
	w.Write(raw.Body)
}

type speakerRow struct {
	search.Speaker
	URL    string
	Others []search.LabelCount
}

type speakersView struct {
	Title    string
	Status   Status
	Name     string
	Langs    []option
	Speakers []speakerRow
	Turns    int
}

func (s *Server) speakers(lang, name string) ([]search.Speaker, error) {
	ix, release, err := s.index()
	defer release()
	if err != nil {
		return nil, err
	}
	all, err := ix.Speakers(lang)
	if err != nil || name == "" {
		return all, err
	}
	needle := strings.ToLower(name)
	var out []search.Speaker
	for _, sp := range all {
		for _, l := range sp.Labels {
			if strings.Contains(strings.ToLower(l.Label), needle) {
				out = append(out, sp)
				break
			}
		}
	}
	return out, nil
}

func (s *Server) speakersPage(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang != "" && lang != "en" && lang != "ru" {
		s.errorPage(w, http.StatusBadRequest, "Bad language", "lang must be en or ru")
		return
	}
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	all, err := s.speakers(lang, name)
	if err != nil {
		s.errorPage(w, http.StatusServiceUnavailable, "Speakers", errorText(err))
		return
	}
	view := &speakersView{Title: "Speakers", Status: s.cfg.Status(), Name: name}
	for _, o := range []option{{"", "both languages", false}, {"en", "English", false}, {"ru", "Русский", false}} {
		o.Selected = lang == o.Value
		view.Langs = append(view.Langs, o)
	}
	for _, sp := range all {
		u := url.Values{"speaker": {sp.Key}}
		if lang != "" {
			u.Set("lang", lang)
		}
		view.Speakers = append(view.Speakers, speakerRow{Speaker: sp, URL: "/?" + u.Encode(), Others: sp.Labels[1:]})
		view.Turns += sp.Turns
	}
	s.render(w, "speakers.html", view)
}

// ---- JSON API ----

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

type apiHit struct {
	ID         int64  `json:"id"`
	Lang       string `json:"lang"`
	Title      string `json:"title"`
	Date       string `json:"date"`
	URL        string `json:"url"`
	Speaker    string `json:"speaker"`
	SpeakerKey string `json:"speaker_key"`
	Turn       *int   `json:"turn"`
	Snippet    string `json:"snippet"`
}

type apiResult struct {
	Total  uint64                         `json:"total"`
	TookMS int64                          `json:"took_ms"`
	Turns  bool                           `json:"turns"`
	Offset int                            `json:"offset"`
	Limit  int                            `json:"limit"`
	Hits   []apiHit                       `json:"hits"`
	Facets map[string][]search.FacetValue `json:"facets"`
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	q, err := search.QueryOf(r.URL.Query())
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	q.Facets = r.URL.Query().Get("facets") != "0"
	ix, release, err := s.index()
	defer release()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		apiError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	ctx, cancel := requestContext(r)
	defer cancel()
	res, err := ix.Search(ctx, q)
	if err != nil {
		s.cfg.Log.Error("search failed", "query", r.URL.RawQuery, "err", err)
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := apiResult{Total: res.Total, TookMS: res.Took.Milliseconds(), Turns: res.Turns, Offset: q.Offset, Limit: q.Limit,
		Hits: []apiHit{}, Facets: res.Facets}
	if !q.Facets {
		out.Facets = map[string][]search.FacetValue{}
	}
	for _, h := range res.Hits {
		ah := apiHit{ID: h.ID, Lang: h.Lang, Title: h.Title, Date: h.Date, URL: h.URL, Speaker: h.Speaker,
			SpeakerKey: h.SpeakerKey, Snippet: h.Snippet}
		if h.Turn >= 0 {
			ah.Turn = &h.Turn
		}
		out.Hits = append(out.Hits, ah)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiDoc answers the export record of a document (RECORD.md), read from
// the archive; while a crawl holds the archive, the indexed copy, marked
// with the header X-Kremlin-Copy: index.
func (s *Server) apiDoc(w http.ResponseWriter, r *http.Request) {
	lang, id, err := docRef(r)
	if err != nil {
		apiError(w, http.StatusNotFound, err.Error())
		return
	}
	v := 0
	if x := r.URL.Query().Get("version"); x != "" {
		if v, err = strconv.Atoi(x); err != nil || v < 1 {
			apiError(w, http.StatusBadRequest, "version must be a version number (1 = oldest)")
			return
		}
	}
	l, err := s.load(lang, id, v)
	switch {
	case err == nil:
	case strings.Contains(err.Error(), errNotFound.Error()):
		apiError(w, http.StatusNotFound, fmt.Sprintf("document %s/%d: %v", lang, id, err))
		return
	case busy(err):
		w.Header().Set("Retry-After", "30")
		apiError(w, http.StatusServiceUnavailable, "the archive is busy (a crawl is writing to it); try again later")
		return
	default:
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if l.FromIndex {
		w.Header().Set("X-Kremlin-Copy", "index")
	}
	b, err := record.Marshal(l.Rec)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.Write(append(b, '\n'))
}

func (s *Server) apiSpeakers(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang != "" && lang != "en" && lang != "ru" {
		apiError(w, http.StatusBadRequest, "lang must be en or ru")
		return
	}
	all, err := s.speakers(lang, strings.TrimSpace(r.URL.Query().Get("name")))
	if err != nil {
		apiError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if all == nil {
		all = []search.Speaker{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(all), "speakers": all})
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	st := s.cfg.Status()
	out := map[string]any{"building": st.Building, "done": st.Done, "total": st.Total, "archive_error": st.ArchiveErr,
		"last_error": st.LastError}
	if !st.LastUpdate.IsZero() {
		out["last_update"] = st.LastUpdate.UTC().Format(time.RFC3339)
	}
	if ix, release, err := s.index(); err == nil {
		is := ix.State()
		out["index"] = map[string]any{"dir": ix.Dir(), "seq": is.Seq, "complete": is.Complete, "documents": is.Docs,
			"updated_at": is.UpdatedAt}
		release()
	} else {
		release()
	}
	writeJSON(w, http.StatusOK, out)
}
