package main

// The command line (issue 11 item 2): every command answers -h/--help
// with its own usage, flags and an example; --version and `version`;
// global flags before or after the command; usage errors exit 2 with what
// to type.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// cli runs the program with exactly args (no --config added).
func cli(args ...string) result {
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, &out, &errb)
	code := report(&errb, err)
	return result{code, out.String(), errb.String()}
}

// allCommands lists every command path of the program (subcommands of
// subcommands included), from the command tree itself, so a command added
// later is tested without changing this test.
func allCommands() [][]string {
	root := newRoot(&common{stdout: &bytes.Buffer{}, stderr: newConsole(&bytes.Buffer{})})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var out [][]string
	var walk func(path []string, c *cobra.Command)
	walk = func(path []string, c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			out = append(out, p)
			walk(p, sub)
		}
	}
	walk(nil, root)
	return out
}

// localFlags are the flags a command declares itself (not the global ones).
func localFlags(path []string) []string {
	root := newRoot(&common{stdout: &bytes.Buffer{}, stderr: newConsole(&bytes.Buffer{})})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cmd, _, err := root.Find(path)
	if err != nil {
		return nil
	}
	var names []string
	cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return names
}

func TestHelp_EveryCommand(t *testing.T) {
	cmds := allCommands()
	if len(cmds) < 10 {
		t.Fatalf("only %d commands found: %v", len(cmds), cmds)
	}
	ours := map[string]bool{}
	for _, mk := range commands {
		ours[mk(&common{}).Name()] = true
	}
	for _, path := range cmds {
		name := strings.Join(path, " ")
		for _, h := range []string{"--help", "-h"} {
			t.Run(name+" "+h, func(t *testing.T) {
				r := cli(append(append([]string{}, path...), h)...)
				if r.code != ExitOK {
					t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, "kremlin-archive "+name) {
					t.Errorf("help does not show the usage of %q:\n%s", name, r.stdout)
				}
				for _, f := range localFlags(path) {
					if !strings.Contains(r.stdout, "--"+f) {
						t.Errorf("help of %q does not list its flag --%s", name, f)
					}
				}
				if ours[path[0]] && len(path) == 1 && !strings.Contains(r.stdout, "Examples:\n  kremlin-archive "+name) {
					t.Errorf("help of %q has no example:\n%s", name, r.stdout)
				}
				if !strings.Contains(r.stdout, "--config") || !strings.Contains(r.stdout, "--log-format") {
					t.Errorf("help of %q does not list the global flags", name)
				}
				if r.stderr != "" {
					t.Errorf("help wrote to stderr: %q", r.stderr)
				}
			})
		}
		if path[0] != "help" {
			t.Run("help "+name, func(t *testing.T) {
				r := cli(append([]string{"help"}, path...)...)
				if r.code != ExitOK || !strings.Contains(r.stdout, "kremlin-archive "+name) {
					t.Errorf("help %s: exit %d\n%s", name, r.code, r.stdout)
				}
			})
		}
	}
	// The general help lists every command and the exit codes.
	r := cli("help")
	if r.code != ExitOK {
		t.Fatalf("help: exit %d", r.code)
	}
	for name := range ours {
		if !strings.Contains(r.stdout, "  "+name+" ") {
			t.Errorf("general help does not list %s", name)
		}
	}
	for _, code := range []int{ExitOK, ExitError, ExitUsage, ExitPartial, ExitRefused, ExitDrift, ExitLocked, ExitUnreachable, ExitInterrupted} {
		if !regexp.MustCompile(`(?m)^  ` + strconv.Itoa(code) + ` +\S`).MatchString(r.stdout) {
			t.Errorf("general help does not explain exit code %d", code)
		}
	}
	// Without a command: the help on stderr, exit 2.
	r = cli()
	if r.code != ExitUsage || !strings.Contains(r.stderr, "Available Commands") || r.stdout != "" {
		t.Errorf("no command: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		r := cli(args...)
		if r.code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		for _, want := range []string{
			"kremlin-archive ",
			fmt.Sprintf("parser version:          %d\n", kremlin.ParserVersion),
			fmt.Sprintf("archive schema version:  %d\n", store.SchemaVersion),
			fmt.Sprintf("record schema version:   %d\n", record.SchemaVersion),
			"go:                      go1.",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v does not print %q:\n%s", args, want, r.stdout)
			}
		}
	}
	old := version
	version = "9.8.7"
	t.Cleanup(func() { version = old })
	if r := cli("version"); !strings.HasPrefix(r.stdout, "kremlin-archive 9.8.7") {
		t.Errorf("version set with -ldflags -X main.version is not printed:\n%s", r.stdout)
	}
}

// TestGlobalFlags_AnyPosition: --config, --db, --log-format and
// --log-level before the command, after it, and in the single-dash form
// of earlier versions.
func TestGlobalFlags_AnyPosition(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 25, Seed: 81})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	other := filepath.Join(e.dir, "other.db")
	r := cli("--config", e.cfgPath, "--db", other, "--log-format", "json", "--log-level", "warn", "backfill")
	if r.code != ExitOK {
		t.Fatalf("flags before the command: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "run finished") {
		t.Errorf("--log-level warn before the command was ignored:\n%s", r.stderr)
	}
	site.WaitIdle(0)
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("--db before the command was ignored: %v", err)
	}
	if _, err := os.Stat(e.dbPath); err == nil {
		t.Errorf("the archive of crawl.yaml was written although --db named another")
	}
	for _, args := range [][]string{
		{"--config", e.cfgPath, "--db", other, "stats", "--json"},
		{"stats", "--json", "--db", other, "--config", e.cfgPath},
		{"stats", "--config=" + e.cfgPath, "--json", "--db=" + other},
		{"-config", e.cfgPath, "stats", "-db", other, "-json"},
		{"stats", "-json", "-db=" + other, "-config=" + e.cfgPath},
	} {
		r := cli(args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, `"documents": 25`) {
			t.Errorf("%q: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	r = cli("--log-format", "json", "--config", e.cfgPath, "crawl", "--db", other)
	objs, bad := jsonLines(r.stderr)
	if r.code != ExitOK || len(bad) > 0 || len(objs) == 0 {
		t.Errorf("--log-format json before crawl: exit %d, %d non-JSON lines %q", r.code, len(bad), bad)
	}
}

func TestUsageErrors_SayWhatToType(t *testing.T) {
	p := startPair(t, 83, nil)
	e := newPairEnv(t, p, "")
	e.mustRun(ExitOK, "backfill")
	both := int64(0)
	ru := idSet(p.RU)
	for _, d := range p.EN.Docs() {
		if ru[d.ID] {
			both = d.ID
			break
		}
	}
	if both == 0 {
		t.Fatal("no document in both languages")
	}
	id := strconv.FormatInt(both, 10)
	brokenYAML := filepath.Join(e.dir, "broken.yaml")
	os.WriteFile(brokenYAML, []byte("db: x.db\nsites: [\n  - lang: en\n"), 0o644)
	badKey := filepath.Join(e.dir, "badkey.yaml")
	os.WriteFile(badKey, []byte("dealy: 5s\n"), 0o644)
	cfgDir := filepath.Join(e.dir, "confdir")
	os.Mkdir(cfgDir, 0o755)

	tests := []struct {
		name string
		args []string // --config is added unless the test names one
		msg  string   // in the Error: line
		try  string   // in the Try: line
	}{
		{"unknown command", []string{"exprot"}, `unknown command "exprot"`, "kremlin-archive export"},
		{"unknown flag", []string{"stats", "--jsn"}, "unknown flag: --jsn", "kremlin-archive stats --help"},
		{"argument to a command without", []string{"stats", "extra"}, "takes no arguments", "stats --help"},
		{"broken YAML", []string{"stats", "--config", brokenYAML}, "not valid YAML", "YAML syntax"},
		{"unknown key", []string{"stats", "--config", badKey}, `did you mean "delay"`, "README"},
		{"config is a directory", []string{"stats", "--config", cfgDir}, "is a directory", "--config " + cfgDir + "/crawl.yaml"},
		{"missing config", []string{"stats", "--config", filepath.Join(e.dir, "nope.yaml")}, "not found", "--config"},
		{"show: no ID", []string{"show"}, "one document ID", "kremlin-archive show 71326"},
		{"show: two IDs", []string{"show", "1", "2"}, "one document ID", "kremlin-archive show"},
		{"show: missing version", []string{"show", id, "--version", "9"}, "has 1 version(s); there is no version 9", "--version 1"},
		{"show: missing version of one language", []string{"show", id, "--lang", "ru", "--version", "2"}, "ru/" + id + " has 1 version(s)", "--lang ru --version 1"},
		{"show: negative version", []string{"show", id, "--version", "-1"}, "1 is the oldest", "--versions"},
		{"show --raw of both languages", []string{"show", id, "--raw"}, "--raw needs --lang", "--raw --lang en"},
		{"runs -n negative", []string{"runs", "-n", "-3"}, "must not be negative", "runs -n 20"},
		{"reparse --lang", []string{"reparse", "--lang", "de"}, "en or ru", "--lang ru"},
		{"log level", []string{"stats", "--log-level", "loud"}, "--log-level", "--log-level info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !contains(args, "--config") {
				args = append(append([]string{}, args...), "--config", e.cfgPath)
			}
			r := cli(args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s", r.code, ExitUsage, r.stderr)
			}
			errLine, tryLine := "", ""
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "Error: ") && errLine == "" {
					errLine = l
				}
				if strings.HasPrefix(l, "Try: ") {
					tryLine = l
				}
			}
			if !strings.Contains(r.stderr, tt.msg) || errLine == "" {
				t.Errorf("message does not say %q:\n%s", tt.msg, r.stderr)
			}
			if !strings.Contains(tryLine, tt.try) {
				t.Errorf("Try line %q does not say %q", tryLine, tt.try)
			}
			if strings.Contains(strings.ToLower(r.stderr), "corrupt") {
				t.Errorf("a usage error talks of corruption:\n%s", r.stderr)
			}
		})
	}
	// The versions that exist are shown, in each form.
	e.mustRun(ExitOK, "show", id, "--version", "1")
	e.mustRun(ExitOK, "show", id, "--lang", "ru", "--raw", "--version", "1")
}

// TestExitCodes_EveryCommand runs every command once on a small archive.
func TestExitCodes_EveryCommand(t *testing.T) {
	site, srv := startSite(t, fakesite.Options{N: 22, Seed: 85})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	id := strconv.FormatInt(site.Docs()[0].ID, 10)
	for _, args := range [][]string{
		{"backfill"}, {"crawl"}, {"stats"}, {"stats", "--json", "--storage"}, {"runs"}, {"runs", "--json", "-n", "1"},
		{"show", id}, {"show", id, "--versions"}, {"show", id, "--lang", "en", "--raw"},
		{"export", "--out", filepath.Join(e.dir, "r.jsonl")}, {"verify"}, {"reparse"}, {"version"},
		{"completion", "bash"},
	} {
		r := e.run(context.Background(), args...)
		if r.code != ExitOK {
			t.Errorf("%v: exit %d\n%s", args, r.code, tail(r.stderr, 5))
		}
	}
	if r := e.run(context.Background(), "show", "999999999"); r.code != ExitError || !strings.Contains(r.stderr, "not in the archive") {
		t.Errorf("show of an unknown document: exit %d\n%s", r.code, r.stderr)
	}
}
