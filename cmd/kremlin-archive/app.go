package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kremlin-archive/kremlin-archive/config"
	"github.com/kremlin-archive/kremlin-archive/config/redact"
	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

const usageText = `kremlin-archive: a polite, resumable archive of kremlin.ru and en.kremlin.ru

Usage:
  kremlin-archive <command> [flags]

Commands:
  crawl      fetch what is new since the last run (for cron)
  backfill   walk the whole history (resumes an unfinished walk) [--from DATE] [--to DATE]
  stats      counts per language and section, failed documents, last runs, cool-downs
  runs       the run ledger [-n N]
  show ID    one document [--lang en|ru] [--raw] [--versions] [--version N]
  export     records as JSONL (--format jsonl) or WARC 1.1 (--format warc --out DIR)
  verify     re-read every stored page and record, check digests and indexes
  reparse    rebuild every parsed record from the stored raw pages (offline)
  help       this text

Flags of every command (after the command name):
  --config FILE        crawl.yaml to use (default ./crawl.yaml; built-in defaults when it is absent)
  --db PATH            archive file (overrides db in crawl.yaml)
  --log-format F       text (default) or json
  --log-level L        debug, info (default), warn, error
Flags of crawl and backfill:
  --metrics-file PATH  write the run's figures in Prometheus text format
  --progress-interval D  how often to log progress when stderr is not a terminal (default 1m)

Exit codes:
  0    success
  1    error (see the message)
  2    usage or configuration error
  3    finished, but some documents failed; later runs retry them (see stats)
  4    the site refused us (403 burst, 429/503, anti-bot page, robots.txt unreadable);
       the next run waits for the recorded cool-down
  5    the site's page layout seems to have changed (too many pages without the known fields)
  6    another kremlin-archive run holds the archive (the run was skipped; nothing is lost)
  130  interrupted (SIGINT/SIGTERM); the archive is consistent, run again to resume
`

// Run is the whole program: it parses args, runs one command and returns
// its error; main turns that into an exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return usageErr("kremlin-archive help", "no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usageText)
		return nil
	case "crawl":
		return runCrawl(ctx, crawler.ModeCrawl, rest, stdout, stderr)
	case "backfill":
		return runCrawl(ctx, crawler.ModeBackfill, rest, stdout, stderr)
	case "stats":
		return runStats(ctx, rest, stdout, stderr)
	case "runs":
		return runRuns(ctx, rest, stdout, stderr)
	case "show":
		return runShow(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, stdout, stderr)
	case "reparse":
		return runReparse(ctx, rest, stdout, stderr)
	}
	return usageErr("kremlin-archive help", "unknown command %q", cmd)
}

// common holds the flags every command takes.
type common struct {
	configPath  string
	configSet   bool
	dbPath      string
	logFormat   string
	logLevel    string
	metricsFile string

	cfg *config.Config
	log *slog.Logger
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.configPath, "config", "crawl.yaml", "crawl.yaml to use")
	fs.StringVar(&c.dbPath, "db", "", "archive file (overrides db in crawl.yaml)")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
}

// newCommand makes the flag set of a command (its errors become usage
// errors) with the flags every command takes.
func newCommand(name string) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &common{}
	c.register(fs)
	return fs, c
}

// openRead parses the command line of a command without arguments and
// opens the archive read-only.
func (c *common) openRead(fs *flag.FlagSet, args []string, stderr io.Writer) (*store.DB, error) {
	if _, err := c.parse(fs, args, stderr, 0); err != nil {
		return nil, err
	}
	return c.openDB(true)
}

// parseFlags parses flags and positional arguments in any order
// (`show 71326 --lang en` as well as `show --lang en 71326`).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageErr("kremlin-archive help", "%s: see `kremlin-archive help`", fs.Name())
			}
			return nil, usageErr("kremlin-archive help", "%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parse parses the command line of a command that takes at most maxArgs
// positional arguments, then loads the configuration and builds the
// logger.
func (c *common) parse(fs *flag.FlagSet, args []string, stderr io.Writer, maxArgs int) ([]string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > maxArgs {
		what := "no arguments"
		if maxArgs > 0 {
			what = fmt.Sprintf("at most %d argument(s)", maxArgs)
		}
		return nil, usageErr("kremlin-archive help", "%s takes %s (got %q)", fs.Name(), what, pos)
	}
	return pos, c.setup(fs, stderr)
}

// setup loads the configuration and builds the logger.
func (c *common) setup(fs *flag.FlagSet, stderr io.Writer) error {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			c.configSet = true
		}
	})
	log, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	c.log = log
	cfg, err := config.Load(c.configPath, c.configSet)
	if err != nil {
		if errors.Is(err, config.ErrNotFound) {
			return usageErr("kremlin-archive crawl --config path/to/crawl.yaml (or omit --config to use the built-in defaults)", "%v", err)
		}
		return err
	}
	if c.dbPath != "" {
		cfg.DB = c.dbPath
	}
	c.cfg = cfg
	return nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level info", "--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(redact.Handler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(redact.Handler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, usageErr("--log-format json", "--log-format: %q is not text or json", format)
}

// openDB opens the archive for writing (creating it) or reading.
func (c *common) openDB(readOnly bool) (*store.DB, error) {
	db, err := store.Open(c.cfg.DB, &store.Options{ReadOnly: readOnly, Day: kremlin.Day})
	switch {
	case errors.Is(err, store.ErrNoArchive):
		return nil, withHint(err, "kremlin-archive crawl   (or pass --db / set db in crawl.yaml to the archive file)")
	case errors.Is(err, store.ErrSchema), errors.Is(err, store.ErrNotArchive):
		return nil, withHint(err, "point --db at a kremlin-archive database")
	}
	return db, err
}

// crawlerOptions turns the configuration into engine options.
func crawlerOptions(cfg *config.Config, log *slog.Logger) (crawler.Options, error) {
	o := crawler.Options{
		UserAgent:          cfg.UserAgent,
		Jitter:             time.Duration(cfg.Jitter),
		Cooldown:           time.Duration(cfg.Cooldown),
		MaxCooldown:        time.Duration(cfg.MaxCooldown),
		Timeout:            time.Duration(cfg.Timeout),
		Retries:            cfg.Retries,
		Backoff:            time.Duration(cfg.Backoff),
		MaxBackoff:         time.Duration(cfg.MaxBackoff),
		MaxRetryAfter:      time.Duration(cfg.MaxRetryAfter),
		ThrottleBurst:      cfg.ThrottleBurst,
		MaxBody:            int64(cfg.MaxBody),
		RobotsTTL:          time.Duration(cfg.RobotsTTL),
		RecentWindow:       time.Duration(cfg.RecentWindow),
		RetryFailed:        time.Duration(cfg.RetryFailed),
		MaxAttempts:        cfg.MaxAttempts,
		DriftThreshold:     cfg.DriftThreshold,
		DriftMin:           cfg.DriftMin,
		Proxy:              cfg.Proxy,
		CAFile:             cfg.CAFile,
		AllowRedirectHosts: cfg.AllowRedirectHosts,
		Logger:             log,
	}
	for _, s := range cfg.Sites {
		u, err := url.Parse(s.BaseURL)
		if err != nil {
			return o, err
		}
		delay, raised := cfg.SiteDelay(s)
		if raised {
			log.Warn("delay raised to the minimum for the real site", "host", u.Hostname(), "delay", delay.String(),
				"hint", "delays under 2s are only for local mirrors and test servers")
		}
		o.Sites = append(o.Sites, crawler.Site{
			Lang: s.Lang, Base: u, Sections: s.Sections, Canonical: s.Canonical, Delay: delay,
		})
	}
	return o, nil
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && termIsTerminal(int(f.Fd()))
}
