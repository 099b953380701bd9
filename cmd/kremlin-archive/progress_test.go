package main

// The progress display (issue 11 item 3): log lines and the bar share
// stderr without ever sharing a line of the screen, the percentage never
// goes down, and the ETA comes from a moving rate.

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"

	"github.com/kremlin-archive/kremlin-archive/crawler/fakesite"
)

// screen replays terminal output (carriage return, newline, erase to the
// end of the line, printable text) and returns the lines left on the
// screen, the last one included.
func screen(out string) []string {
	var lines []string
	var cur []rune
	col := 0
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], "\033[K"):
			if col < len(cur) {
				cur = cur[:col]
			}
			i += 3
			continue
		case out[i] == '\033':
			// Another escape sequence: skip it (CSI … final byte).
			j := i + 2
			for j < len(out) && (out[j] < '@' || out[j] > '~') {
				j++
			}
			i = j + 1
			continue
		case out[i] == '\r':
			col = 0
		case out[i] == '\n':
			lines = append(lines, string(cur))
			cur, col = nil, 0
		default:
			r, size := utf8.DecodeRuneInString(out[i:])
			if col < len(cur) {
				cur[col] = r
			} else {
				cur = append(cur, r)
			}
			col++
			i += size
			continue
		}
		i++
	}
	return append(lines, string(cur))
}

var (
	barRE     = regexp.MustCompile(`\[[#.]{24}\] +(\d+)% `)
	logLineRE = regexp.MustCompile(`time=\S+ level=`)
)

func TestScreen(t *testing.T) {
	got := screen("a\r\033[Kbar 1\r\033[Klog\nbar 2\r\033[Kbar 3")
	want := []string{"log", "bar 3"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("screen = %q, want %q", got, want)
	}
}

// TestProgress_PseudoTerminal runs a backfill with debug logs (one line
// per request) on a pseudo-terminal and checks the captured screen.
func TestProgress_PseudoTerminal(t *testing.T) {
	_, srv := startSite(t, fakesite.Options{N: 160, Seed: 103, Latency: 8 * time.Millisecond})
	e := newEnv(t, []siteConf{{lang: "en", base: srv.URL}}, "")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	const cols = 100
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "backfill", "--config", e.cfgPath, "--log-level", "debug")
	cmd.Env = append(os.Environ(), "KA_RUN_MAIN=1")
	cmd.Stdout, cmd.Stderr, cmd.Stdin = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var buf bytes.Buffer
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	werr := cmd.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	if code := exitOf(werr); code != ExitOK {
		t.Fatalf("backfill on a terminal: exit %d\n%s", code, tail(buf.String(), 20))
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()

	bars := barRE.FindAllStringSubmatch(out, -1)
	if len(bars) < 3 {
		t.Fatalf("%d progress bars drawn, want several:\n%q", len(bars), tail(out, 10))
	}
	prev := -1
	for _, m := range bars {
		p, _ := strconv.Atoi(m[1])
		if p < prev {
			t.Errorf("the percentage went down: %d%% after %d%%", p, prev)
		}
		prev = p
	}
	// Log lines were written while a bar was on the screen.
	if n := strings.Count(out, "\r\033[Ktime="); n < 3 {
		t.Errorf("only %d log lines written over a bar; the test did not interleave", n)
	}
	lines := screen(out)
	logs := 0
	for i, l := range lines {
		isBar := barRE.MatchString(l) || strings.Contains(l, "docs/s new=")
		isLog := logLineRE.MatchString(l)
		if isBar && isLog {
			t.Errorf("screen line %d mixes the bar and a log line: %q", i, l)
		}
		if isBar && i != len(lines)-1 {
			t.Errorf("screen line %d is a bar left above the logs: %q", i, l)
		}
		if isBar && len([]rune(l)) >= cols {
			t.Errorf("bar of %d columns on a %d-column terminal would wrap", len([]rune(l)), cols)
		}
		if isLog {
			logs++
		}
	}
	if logs < 100 {
		t.Errorf("%d log lines on the screen, want one per request", logs)
	}
	if last := lines[len(lines)-1]; barRE.MatchString(last) {
		t.Errorf("the bar is left on the screen after the run: %q", last)
	}
	if !strings.Contains(out, "run finished") {
		t.Error("no summary line")
	}
}

func TestProgressMeter_MonotoneAndMovingRate(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	m := &progressMeter{start: start}
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	// The total grows (a listing never walked declares its size): the
	// shown fraction stays where it was until the work catches up.
	steps := []struct {
		sec         int
		done, total int64
		count       int64
		wantFrac    float64
	}{
		{10, 5, 10, 50, 0.5},
		{20, 6, 20, 60, 0.5}, // 6/20 = 0.3: kept at 0.5
		{30, 12, 20, 120, 0.6},
		{40, 12, 18, 120, 12.0 / 18},
	}
	for _, s := range steps {
		frac, _, _ := m.observe(progressSnap{Done: s.done, Total: s.total, Count: s.count}, at(s.sec))
		if frac != s.wantFrac {
			t.Errorf("at %ds: fraction %v, want %v", s.sec, frac, s.wantFrac)
		}
	}
	// Rate and ETA from the recent past: a run that was slow and is now
	// fast gets the fast ETA.
	m = &progressMeter{start: start}
	m.observe(progressSnap{Done: 1, Total: 1000, Count: 10}, at(600)) // 1 page in 10 min
	var eta time.Duration
	var rate float64
	for s := 601; s <= 1800; s += 60 {
		done := int64(1 + (s-600)/6) // 10 pages a minute from then on
		_, rate, eta = m.observe(progressSnap{Done: done, Total: 1000, Count: done * 20}, at(s))
	}
	if rate < 3.0 || rate > 3.7 {
		t.Errorf("rate %.1f docs/s, want about 3.3 (200 a minute)", rate)
	}
	if eta < 75*time.Minute || eta > 90*time.Minute {
		t.Errorf("ETA %s, want about 80m (800 pages at 10 a minute)", eta)
	}
	// Without a planned end there is no fraction and no ETA.
	if frac, _, eta := (&progressMeter{start: start}).observe(progressSnap{Count: 5}, at(5)); frac != -1 || eta != 0 {
		t.Errorf("no total: fraction %v, ETA %s", frac, eta)
	}
}

// TestConsole_ClearsAndRedraws: a log line written while a bar is shown
// erases the bar first and draws it again after the line.
func TestConsole_ClearsAndRedraws(t *testing.T) {
	var b bytes.Buffer
	c := &console{w: &b, tty: true, fd: -1, maxWidth: 30}
	c.setBar("[####....] 50% a very long bar that does not fit")
	io.WriteString(c, "time=x level=INFO msg=one\n")
	c.Write([]byte("time=y level=INFO msg=two"))
	c.Write([]byte(" (continued)\n"))
	c.clearBar()
	got := screen(b.String())
	want := []string{"time=x level=INFO msg=one", "time=y level=INFO msg=two (continued)", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("screen %q, want %q (raw %q)", got, want, b.String())
	}
	if !strings.Contains(b.String(), "\r\033[K[####....] 50% a very long ba\r") {
		t.Errorf("bar not cut to the width minus one: %q", b.String())
	}
	// Not a terminal: no bar, no escape code.
	var p bytes.Buffer
	nc := newConsole(&p)
	nc.setBar("bar")
	io.WriteString(nc, "line\n")
	nc.clearBar()
	if p.String() != "line\n" {
		t.Errorf("non-terminal console wrote %q", p.String())
	}
}
