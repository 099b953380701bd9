// Package web is the web layer of `kremlin-archive serve`: the search
// page, document pages, the speakers page, the raw pages as captured and
// the JSON API, rendered on the server with html/template (no script).
//
// Searches are answered from the index alone. Pages that need the archive
// (a document's versions, its raw page, the authoritative record) open it
// read-only for the request and close it after; while a crawl holds the
// archive, document pages fall back to the indexed copy and the rest
// answer 503 with Retry-After.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Holder holds the index being served; the index can be replaced (a
// rebuild) while requests run.
type Holder struct {
	mu sync.RWMutex
	ix *search.Index
}

// Get returns the index (nil while none is open) and a function that
// releases it; call it when the request is done.
func (h *Holder) Get() (*search.Index, func()) {
	h.mu.RLock()
	return h.ix, h.mu.RUnlock
}

// Swap installs ix and returns the previous index, which no request uses
// any more.
func (h *Holder) Swap(ix *search.Index) *search.Index {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.ix
	h.ix = ix
	return old
}

// Replace runs fn with the served index while no request uses it and
// installs the index fn returns.
func (h *Holder) Replace(fn func(old *search.Index) *search.Index) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ix = fn(h.ix)
}

// Status is what the server says about its index and archive.
type Status struct {
	Building   bool      // the first build (or a rebuild) is running
	Done       int       // documents indexed by the running update
	Total      int       // documents the running update indexes
	LastUpdate time.Time // last successful update
	LastError  string    // the last update's error ("" when it succeeded)
	ArchiveErr string    // why the archive could not be read at the last try
}

// Config of a Server.
type Config struct {
	Index *Holder
	// Open opens the archive read-only; the server closes it after each
	// request.
	Open search.Opener
	// Resolve completes a record read from the archive (speaker keys
	// resolved across the archive, as export does); may be nil.
	Resolve search.Resolver
	// Status reports the index updater's state; may be nil.
	Status func() Status
	Log    *slog.Logger
}

// Server serves the pages and the API.
type Server struct {
	cfg  Config
	tmpl *template.Template
	mux  *http.ServeMux
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Status == nil {
		cfg.Status = func() Status { return Status{} }
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, tmpl: t, mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", cacheFor(http.StripPrefix("/static/", http.FileServerFS(static)), time.Hour))
	s.mux.HandleFunc("GET /{$}", s.searchPage)
	s.mux.HandleFunc("GET /doc/{lang}/{id}", s.docPage)
	s.mux.HandleFunc("GET /doc/{lang}/{id}/versions", s.versionsPage)
	s.mux.HandleFunc("GET /doc/{lang}/{id}/raw", s.rawPage)
	s.mux.HandleFunc("GET /raw/{lang}/{id}/{v}", s.rawBody)
	s.mux.HandleFunc("GET /speakers", s.speakersPage)
	s.mux.HandleFunc("GET /api/search", s.apiSearch)
	s.mux.HandleFunc("GET /api/doc/{lang}/{id}", s.apiDoc)
	s.mux.HandleFunc("GET /api/speakers", s.apiSpeakers)
	s.mux.HandleFunc("GET /api/status", s.apiStatus)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return s, nil
}

// appCSP is the policy of the application's own pages: no script at all,
// styles and frames from this server only.
const appCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// ServeHTTP answers GET and HEAD; nothing on this server writes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "this server is read-only: only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func cacheFor(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// errNoIndex is returned while no index is open yet.
var errNoIndex = errors.New("the search index is not open yet")

// index returns the current index, or an error page.
func (s *Server) index() (*search.Index, func(), error) {
	ix, release := s.cfg.Index.Get()
	if ix == nil {
		release()
		return nil, func() {}, errNoIndex
	}
	return ix, release, nil
}

// withArchive opens the archive read-only, runs fn and closes it.
func (s *Server) withArchive(fn func(db *store.DB) error) error {
	db, err := s.cfg.Open()
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// busy reports whether err means the archive cannot be read now (a crawl
// holds it) rather than that something is wrong.
func busy(err error) bool { return errors.Is(err, store.ErrLocked) }

// requestContext bounds one request's work.
func requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 30*time.Second)
}
