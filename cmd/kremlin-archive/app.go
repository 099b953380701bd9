package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kremlin-archive/kremlin-archive/config"
	"github.com/kremlin-archive/kremlin-archive/config/redact"
	"github.com/kremlin-archive/kremlin-archive/crawler"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
)

// The command line is parsed by cobra (github.com/spf13/cobra, with
// spf13/pflag): per-command help with flags and examples, global flags
// before or after the command, "did you mean" for mistyped commands and
// shell completion. Both were already in the module graph (bbolt's
// command-line tool requires them), so they add no new module.

// commands lists the constructors of every command, in the order `help`
// shows them.
//
// Adding a command: write its work in its own file as
//
//	func runThing(ctx context.Context, c *common, o thingOptions, stdout, stderr io.Writer) error
//
// and a constructor newThingCmd(c *common) *cobra.Command that declares
// the flags into a thingOptions and calls c.setup(cmd) then runThing (see
// newVerifyCmd for the smallest one, newExportCmd for one with flags); then
// add the constructor here. Adding a flag to an existing command is one
// line in its constructor (cmd.Flags().StringVar(&o.field, "name", "", "what it does"))
// plus a line in its Example when it deserves one. Errors the operator can
// fix return usageErr (exit 2) with what to type.
var commands = []func(c *common) *cobra.Command{
	newCrawlCmd,
	newBackfillCmd,
	newStatsCmd,
	newRunsCmd,
	newShowCmd,
	newExportCmd,
	newVerifyCmd,
	newReparseCmd,
	newRepairCmd,
	newServeCmd,
	newVersionCmd,
}

const rootLong = `kremlin-archive keeps a complete, faithful archive of the website of the
President of Russia (en.kremlin.ru and kremlin.ru): the raw pages as
received and parsed records, in one archive file. It crawls politely,
resumes after any stop, and exports JSONL and WARC 1.1.

Global flags (--config, --db, --log-format, --log-level) go before or
after the command. Data goes to stdout; logs, progress and errors to stderr.`

const exitCodesHelp = `Exit codes:
  0    success
  1    error (see the message)
  2    usage or configuration error: the message says what to type
  3    finished, but some documents failed; later runs retry them (see stats)
  4    the site refused us (403 burst, anti-bot page, long Retry-After,
       robots.txt answered with an error); the next run waits for the
       recorded cool-down
  5    the site's page layout seems to have changed
  6    another kremlin-archive run holds the archive (this run was skipped)
  7    a host could not be reached at all (DNS, connection refused or reset,
       timeout, proxy down); nothing recorded, the next run tries again
  130  interrupted (SIGINT/SIGTERM); run the same command again to resume
`

// common is the state shared by every command of one invocation: the
// global flags, where output goes, and — after setup — the configuration
// and the logger.
type common struct {
	configPath string
	dbPath     string
	logFormat  string
	logLevel   string

	stdout io.Writer
	stderr *console // logs, progress and messages

	configSet bool // --config was given
	cfg       *config.Config
	log       *slog.Logger
}

// Run is the whole program: it parses args, runs one command and returns
// its error; main turns that into an exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &common{stdout: stdout, stderr: newConsole(stderr)}
	root := newRoot(c)
	root.SetArgs(normalizeArgs(root, args))
	err := root.ExecuteContext(ctx)
	c.stderr.clearBar()
	return err
}

func newRoot(c *common) *cobra.Command {
	root := &cobra.Command{
		Use:   "kremlin-archive",
		Short: "a polite, resumable archive of kremlin.ru and en.kremlin.ru",
		Long:  rootLong,
		Example: `  kremlin-archive crawl                         # fetch what is new (for cron)
  kremlin-archive --config site.yaml backfill   # walk the whole history
  kremlin-archive stats
  kremlin-archive export --out records.jsonl.gz
  kremlin-archive export --help                 # every command has its own help`,
		Version:                    programVersion(),
		SilenceUsage:               true,
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
		// Without a command: the help on stderr, exit 2.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				hint := "kremlin-archive help"
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					hint = "kremlin-archive " + s[0]
				}
				return usageErr(hint, "unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Help()
			return usageErr("kremlin-archive help", "no command given")
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetVersionTemplate("{{.Version}}")
	// The exit codes close the general help only.
	root.SetUsageTemplate(root.UsageTemplate() + "{{if not .HasParent}}\n" + exitCodesHelp + "{{end}}")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr(cmd.CommandPath()+" --help", "%s: %v", cmd.CommandPath(), err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&c.configPath, "config", "crawl.yaml", "configuration file (built-in defaults for the real site when ./crawl.yaml is absent)")
	pf.StringVar(&c.dbPath, "db", "", "archive file (overrides db in the configuration)")
	pf.StringVar(&c.logFormat, "log-format", "text", "text, or json (one object per line, for log collectors)")
	pf.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	for _, mk := range commands {
		root.AddCommand(mk(c))
	}
	return root
}

// normalizeArgs accepts the single-dash long flags the old command line
// took (-config x, -db=y): they become --config x, --db=y, so existing
// cron lines keep working. Anything after "--" is left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{cmd.PersistentFlags(), cmd.Flags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if len(f.Name) > 1 {
					long[f.Name] = true
				}
			})
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if long[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(cmd.CommandPath()+" --help", "%s takes no arguments (got %q)", cmd.CommandPath(), args)
	}
	return nil
}

// setup loads the configuration and builds the logger. Every command that
// reads the archive or the configuration calls it first.
func (c *common) setup(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
		c.configSet = true
	}
	log, err := newLogger(c.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	c.log = log
	cfg, err := loadConfig(c.configPath, c.configSet)
	if err != nil {
		return err
	}
	if c.dbPath != "" {
		cfg.DB = c.dbPath
	}
	c.cfg = cfg
	return nil
}

// loadConfig reads the configuration; every problem with it is a usage
// error (exit 2) that says what to do.
func loadConfig(path string, explicit bool) (*config.Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, usageErr(fmt.Sprintf("--config %s", strings.TrimSuffix(path, "/")+"/crawl.yaml"),
			"--config %s is a directory; name the configuration file in it", path)
	}
	cfg, err := config.Load(path, explicit)
	var fe *config.FieldError
	switch {
	case err == nil:
		return cfg, nil
	case errors.Is(err, config.ErrNotFound):
		return nil, usageErr("kremlin-archive crawl --config path/to/crawl.yaml (or omit --config to use ./crawl.yaml or the built-in defaults)", "%v", err)
	case errors.As(err, &fe):
		return nil, &UsageError{Msg: err.Error(), Hint: "fix the keys named above in " + path + " (README.md, \"Configuration\", lists every key)"}
	case errors.Is(err, fs.ErrPermission):
		return nil, usageErr("make "+path+" readable by this user, or pass --config with another file", "%v", err)
	}
	if strings.Contains(err.Error(), "not valid YAML") {
		return nil, &UsageError{Msg: err.Error(), Hint: "fix the YAML syntax at the line named above (indentation with spaces, \"key: value\"); the repository's crawl.yaml shows the format"}
	}
	return nil, err
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
		opts.ReplaceAttr = jsonNumbers
		return slog.New(redact.Handler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, usageErr("--log-format json", "--log-format: %q is not text or json", format)
}

// jsonNumbers makes JSON logs summable by log collectors: durations
// become seconds as numbers (slog would write nanoseconds).
func jsonNumbers(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, roundSeconds(a.Value.Duration()))
	}
	return a
}

// roundSeconds is d in seconds, to the millisecond.
func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// openDB opens the archive for writing (creating it) or reading.
func (c *common) openDB(readOnly bool) (*store.DB, error) {
	if readOnly {
		return c.openDBWith(store.Options{ReadOnly: true})
	}
	return c.openWriter(store.Options{})
}

// openWriter opens the archive for writing with options o.
func (c *common) openWriter(o store.Options) (*store.DB, error) {
	db, err := c.openDBWith(o)
	if err == nil {
		// A writer (crawl, backfill, reparse) refuses a damaged archive
		// before its first request: `repair` sets it right.
		if err = db.CheckEntries(); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, err
}

// openDBWith opens the archive with options o (Day and Logger filled in).
func (c *common) openDBWith(o store.Options) (*store.DB, error) {
	o.Day, o.Logger = kremlin.Day, c.log
	db, err := store.Open(c.cfg.DB, &o)
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
		Jitter:             cfg.Jitter.Share,
		MaxJitter:          time.Duration(cfg.Jitter.Max),
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
	wb, err := waybackOptions(cfg, log)
	if err != nil {
		return o, err
	}
	o.Wayback = wb
	for _, s := range cfg.Sites {
		u, err := url.Parse(s.BaseURL)
		if err != nil {
			return o, err
		}
		delay, raised := cfg.SiteDelay(s)
		if raised {
			log.Warn("delay raised to the minimum for the real site", "host", u.Hostname(), "delay", delay,
				"hint", "delays under 2s are only for local mirrors and test servers")
		}
		o.Sites = append(o.Sites, crawler.Site{
			Lang: s.Lang, Base: u, Sections: s.Sections, Canonical: s.Canonical, Delay: delay,
		})
	}
	return o, nil
}
