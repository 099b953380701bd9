package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/cmd/kremlin-archive/web"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
	"github.com/kremlin-archive/kremlin-archive/store/search"
)

// serveOptions are the settings of `kremlin-archive serve`.
type serveOptions struct {
	DB       string        // the archive file
	Addr     string        // listen address (default 127.0.0.1:8080)
	IndexDir string        // the index directory (default DB + ".index")
	Reindex  bool          // rebuild the index from scratch before using it
	Refresh  time.Duration // how often the index is brought up to date (default 15s)
	Log      *slog.Logger
	// Ready, when set, is called with the address the server listens on.
	Ready func(addr string)
}

const defaultServeAddr = "127.0.0.1:8080"

// serveMemoryLimit is the Go heap's soft limit for serve when GOMEMLIMIT
// is not set: the garbage collector works harder near it instead of
// letting the heap double, which keeps an index build in bounds.
const serveMemoryLimit = 160 << 20

func newServeCmd(c *common) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "search and read the archive in a browser, and a JSON API",
		Long: `Serves the archive on the web (loopback only, unless --addr names another
address): a search page (words, "phrases", -exclusions; filters by language,
section, dates, speaker, tag and place), documents with their speakers, both
languages, versions and the raw page as captured, a speakers page, and a
JSON API (/api/search, /api/doc/{lang}/{id}, /api/speakers, /api/status).

The full-text index lives beside the archive (kremlin.db.index/): built on
first start, kept up to date from the archive's changes while serving,
rebuilt with --reindex. The archive is opened read-only, only while it is
read: a crawl can run at the same time. Nothing on the server writes.`,
		Example: `  kremlin-archive serve                          # http://127.0.0.1:8080/
  kremlin-archive serve --addr 127.0.0.1:9000 --db /srv/kremlin/kremlin.db
  kremlin-archive serve --reindex                # rebuild the index (the old one answers meanwhile)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.setup(cmd); err != nil {
				return err
			}
			o.DB, o.Log = c.cfg.DB, c.log
			return runServe(cmd.Context(), o, c.stdout, c.stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", defaultServeAddr, "listen address (loopback unless you name another)")
	f.StringVar(&o.IndexDir, "index", "", "index directory (default: the archive path + .index)")
	f.BoolVar(&o.Reindex, "reindex", false, "rebuild the index from the archive")
	f.DurationVar(&o.Refresh, "refresh", 15*time.Second, "how often the index is brought up to date")
	return cmd
}

// runServe serves the archive in a browser and as a JSON API until ctx
// ends: it opens (or builds) the index beside the archive, starts the
// HTTP server at once, and keeps the index up to date from the archive's
// change sequence, opening the archive read-only for each update and
// closing it after.
func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if o.Addr == "" {
		o.Addr = defaultServeAddr
	}
	if o.Refresh <= 0 {
		o.Refresh = 15 * time.Second
	}
	if o.IndexDir == "" {
		o.IndexDir = search.DefaultDir(o.DB)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	open := func() (*store.DB, error) {
		// A running crawl lets go of the file within milliseconds; only a
		// process outside the lock protocol keeps it: then answer from
		// the index rather than wait the readers' default 30 s.
		return store.Open(o.DB, &store.Options{ReadOnly: true, Day: kremlin.Day, LockTimeout: 2 * time.Second})
	}
	// The archive must exist; a crawl holding it is fine (the index
	// answers meanwhile).
	if db, err := open(); err == nil {
		db.Close()
	} else if !errors.Is(err, store.ErrLocked) {
		switch {
		case errors.Is(err, store.ErrNoArchive):
			return withHint(err, "kremlin-archive crawl   (or pass --db / set db in crawl.yaml to the archive file)")
		case errors.Is(err, store.ErrSchema), errors.Is(err, store.ErrNotArchive):
			return withHint(err, "point --db at a kremlin-archive database")
		}
		return err
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return usageErr("kremlin-archive serve --addr 127.0.0.1:8080", "--addr: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		o.Log.Warn("serving beyond this machine: anyone who can reach the address can read the archive (there is no login)", "addr", o.Addr)
	}

	// Speaker keys as export writes them: the archive's alias table and
	// the document in the other language fill the keys a page left null.
	resolve := func(db *store.DB) (func(*record.Record) error, error) {
		sp, err := loadSpeakers(ctx, db, false, nil)
		if err != nil {
			return nil, err
		}
		return sp.resolve, nil
	}
	holder := &web.Holder{}
	u := &updater{o: o, open: open, holder: holder, log: o.Log, resolve: resolve}
	dir := o.IndexDir
	_, statErr := os.Stat(dir)
	if o.Reindex && statErr == nil {
		// Serve the old index while the new one is built beside it.
		u.rebuildDir = dir + ".new"
		if err := os.RemoveAll(u.rebuildDir); err != nil {
			return err
		}
	} else if o.Reindex {
		o.Log.Info("no index yet; building it", "dir", dir)
	}
	ix, err := search.Open(dir, search.Options{Log: o.Log, Resolve: resolve})
	if err != nil {
		return indexErr(err, dir)
	}
	holder.Swap(ix)
	defer func() {
		if ix := holder.Swap(nil); ix != nil {
			ix.Close()
		}
		if u.building != nil {
			u.building.Close()
		}
	}()

	srv, err := web.New(web.Config{Index: holder, Open: open, Resolve: resolve, Status: u.status, Log: o.Log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w (is another server using %s? pick another with --addr)", err, o.Addr)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn)}
	addr := ln.Addr().String()
	fmt.Fprintf(stdout, "kremlin-archive: serving %s at http://%s/ (index %s)\n", o.DB, addr, dir)
	o.Log.Info("serving", "addr", addr, "db", o.DB, "index", dir)
	if o.Ready != nil {
		o.Ready(addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	uctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); u.run(uctx) }()

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stop()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shutCtx)
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	o.Log.Info("server stopped")
	if ctx.Err() != nil {
		return nil // an interrupt is how a server is stopped
	}
	return nil
}

func indexErr(err error, dir string) error {
	if errors.Is(err, search.ErrBusy) {
		return withHint(err, "stop the other `kremlin-archive serve` of this archive, or give this one its own --index DIR")
	}
	return withHint(err, fmt.Sprintf("kremlin-archive serve --reindex   (or remove %s)", dir))
}

// updater keeps the index up to date and reports its state to the pages.
type updater struct {
	o      serveOptions
	open   search.Opener
	holder *web.Holder
	log    *slog.Logger

	resolve    search.Resolver
	rebuildDir string        // --reindex: where the new index is built
	building   *search.Index // the new index while it is built

	mu  sync.Mutex
	st  web.Status
	cur *search.Index // the index being built or updated
}

func (u *updater) status() web.Status {
	u.mu.Lock()
	st := u.st
	cur := u.cur
	u.mu.Unlock()
	if cur != nil {
		if p := cur.Progress(); p.Running {
			st.Done, st.Total = p.Done, p.Total
			st.Building = st.Building || !cur.State().Complete
		}
	}
	return st
}

func (u *updater) set(fn func(*web.Status)) {
	u.mu.Lock()
	fn(&u.st)
	u.mu.Unlock()
}

// run updates the index now and then every Refresh until ctx ends. An
// archive that cannot be opened (a crawl holds it) is retried at the next
// tick; searches keep working from the index meanwhile.
func (u *updater) run(ctx context.Context) {
	t := time.NewTicker(u.o.Refresh)
	defer t.Stop()
	for {
		u.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (u *updater) once(ctx context.Context) {
	ix, release := u.holder.Get()
	release()
	if ix == nil {
		return
	}
	if u.rebuildDir != "" {
		if u.building == nil {
			b, err := search.Open(u.rebuildDir, search.Options{Log: u.log, Resolve: u.resolve})
			if err != nil {
				u.set(func(s *web.Status) { s.LastError = err.Error() })
				u.log.Error("cannot open the new index; serving the old one", "dir", u.rebuildDir, "err", err)
				u.rebuildDir = ""
				return
			}
			u.building = b
			u.log.Info("rebuilding the index; the old one answers meanwhile", "dir", u.rebuildDir)
		}
		ix = u.building
	}
	u.mu.Lock()
	u.cur = ix
	building := !ix.State().Complete
	u.st.Building = building
	u.mu.Unlock()
	t0 := time.Now()
	n, err := ix.Update(ctx, u.open)
	switch {
	case err == nil:
		u.set(func(s *web.Status) {
			s.Building, s.LastUpdate, s.LastError, s.ArchiveErr = false, time.Now(), "", ""
		})
		if building {
			// The first build's heap (up to serveMemoryLimit) goes
			// back to the system now rather than over minutes: the
			// searches that follow map the index's pages on top of it.
			debug.FreeOSMemory()
		}
		if n > 0 {
			el := time.Since(t0)
			u.log.Info("index updated", "documents", n, "seconds", el.Seconds(), "docs_per_s", float64(n)/max(el.Seconds(), 1e-9),
				"seq", ix.State().Seq, "building", building)
		}
		if u.building != nil {
			if err := u.install(); err != nil {
				u.set(func(s *web.Status) { s.LastError = err.Error() })
				u.log.Error("installing the rebuilt index failed", "err", err)
			}
		}
	case ctx.Err() != nil:
	case errors.Is(err, store.ErrLocked):
		u.set(func(s *web.Status) { s.ArchiveErr = "a crawl holds it"; s.Building = false })
		u.log.Info("the archive is busy; the index is brought up to date at the next try", "indexed", n, "retry_in", u.o.Refresh.String())
	default:
		u.set(func(s *web.Status) { s.LastError = err.Error(); s.ArchiveErr = err.Error(); s.Building = false })
		u.log.Error("index update failed; retrying later", "err", err, "indexed", n, "retry_in", u.o.Refresh.String())
	}
}

// install replaces the served index with the rebuilt one: both are
// closed, the directories renamed, the new one opened where the old one
// was. Requests wait for the few milliseconds this takes.
func (u *updater) install() error {
	dir := u.o.IndexDir
	var err error
	u.holder.Replace(func(old *search.Index) *search.Index {
		u.building.Close()
		u.building = nil
		old.Close()
		trash := dir + ".old"
		os.RemoveAll(trash)
		if err = os.Rename(dir, trash); err == nil {
			if err = os.Rename(u.rebuildDir, dir); err == nil {
				os.RemoveAll(trash)
			} else {
				os.Rename(trash, dir)
			}
		}
		ix, oerr := search.Open(dir, search.Options{Log: u.log, Resolve: u.resolve})
		if oerr != nil {
			err = errors.Join(err, oerr)
			return nil
		}
		return ix
	})
	u.mu.Lock()
	u.cur = nil
	u.mu.Unlock()
	u.rebuildDir = ""
	if err == nil {
		u.log.Info("the rebuilt index is in use", "dir", dir)
	}
	return err
}
