package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// console is stderr: log lines, messages and, on a terminal, one progress
// bar line below them. Every write clears the bar first and draws it
// again after a complete line, so a log line and the bar never share a
// line of the screen. slog handlers write each record with one Write.
type console struct {
	mu       sync.Mutex
	w        io.Writer
	fd       int
	tty      bool
	bar      string // the bar to show ("" = none)
	shown    bool   // the bar is on the screen now
	midLine  bool   // the last write did not end its line
	maxWidth int    // for tests: the width when it cannot be asked (0 = 80)
}

func newConsole(w io.Writer) *console {
	c := &console{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		c.fd, c.tty = int(f.Fd()), true
	}
	return c
}

// isTTY reports whether the console is a terminal (a bar is shown).
func (c *console) isTTY() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tty
}

// noBar turns the bar off (progress is logged instead), e.g. when data
// goes to the same terminal.
func (c *console) noBar() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.erase()
	c.tty, c.bar = false, ""
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.erase()
	n, err := c.w.Write(p)
	if len(p) > 0 {
		c.midLine = p[len(p)-1] != '\n'
	}
	c.draw()
	return n, err
}

// setBar shows line as the progress bar (on a terminal only).
func (c *console) setBar(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tty {
		return
	}
	c.bar = line
	c.erase()
	c.draw()
}

// clearBar removes the bar for good.
func (c *console) clearBar() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.erase()
	c.bar = ""
}

func (c *console) erase() {
	if c.shown {
		io.WriteString(c.w, "\r\033[K")
		c.shown = false
	}
}

func (c *console) draw() {
	if c.bar == "" || c.midLine || !c.tty {
		return
	}
	io.WriteString(c.w, "\r\033[K"+fitWidth(c.bar, c.width()-1))
	c.shown = true
}

// width is the terminal's width in columns, asked at each draw (the
// window may have been resized).
func (c *console) width() int {
	if w, _, err := term.GetSize(c.fd); err == nil && w > 0 {
		return w
	}
	if c.maxWidth > 0 {
		return c.maxWidth
	}
	return 80
}

// fitWidth cuts s to at most n characters: a bar wider than the terminal
// would wrap, and "\r" could not erase it.
func fitWidth(s string, n int) string {
	n = max(n, 1)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// progressSnap is what the progress display shows.
type progressSnap struct {
	Done, Total int64 // progress in Unit towards a planned end (Total 0: none)
	Unsized     int64 // planned parts whose size is not known yet (Total estimates them)
	Unit        string
	Count       int64  // items handled (the rate's unit)
	CountOf     string // "docs", "records"
	Fields      []progressField
}

// progressField is one figure of the progress line.
type progressField struct {
	Key string
	Val int64
}

// progress shows a live bar on a terminal, or logs a line every interval
// otherwise (cron, systemd, pipes), so logs never fill with escape codes.
// The percentage never decreases, and the ETA comes from the rate of the
// last few minutes.
type progress struct {
	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// progressSample is one observation, for moving rates.
type progressSample struct {
	at          time.Time
	done, count int64
}

// progressMeter turns snapshots into the figures shown.
type progressMeter struct {
	start   time.Time
	samples []progressSample
	frac    float64 // shown fraction: never decreases
}

// rateWindow and etaWindow are how far back the moving rates look.
const (
	rateWindow = time.Minute
	etaWindow  = 10 * time.Minute
)

// observe adds a snapshot taken at now and returns the fraction done
// (never less than before; -1 when there is no planned end), the item
// rate per second over the last rateWindow, and the ETA from the rate of
// the last etaWindow (0 when unknown).
func (m *progressMeter) observe(s progressSnap, now time.Time) (frac, rate float64, eta time.Duration) {
	if len(m.samples) == 0 {
		m.samples = append(m.samples, progressSample{at: m.start}) // nothing done at the start
	}
	m.samples = append(m.samples, progressSample{now, s.Done, s.Count})
	for len(m.samples) > 2 && now.Sub(m.samples[1].at) >= etaWindow {
		m.samples = m.samples[1:]
	}
	r := m.samples[len(m.samples)-2]
	for _, x := range m.samples[:len(m.samples)-1] {
		if now.Sub(x.at) <= rateWindow {
			r = x
			break
		}
	}
	if dt := now.Sub(r.at).Seconds(); dt > 0 {
		rate = float64(s.Count-r.count) / dt
	}
	frac = -1
	if s.Total > 0 {
		m.frac = max(m.frac, min(float64(s.Done)/float64(s.Total), 1))
		frac = m.frac
		base := m.samples[0]
		if dt := now.Sub(base.at).Seconds(); dt > 0 && s.Done > base.done && s.Done < s.Total {
			perSec := float64(s.Done-base.done) / dt
			eta = time.Duration(float64(s.Total-s.Done) / perSec * float64(time.Second))
		}
	}
	return frac, rate, eta
}

func startProgress(con *console, log *slog.Logger, interval time.Duration, snap func() progressSnap) *progress {
	p := &progress{quit: make(chan struct{})}
	every := interval
	if con.isTTY() {
		every = 500 * time.Millisecond
	}
	if every <= 0 {
		return p
	}
	m := &progressMeter{start: time.Now()}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				con.clearBar()
				return
			case now := <-t.C:
				s := snap()
				frac, rate, eta := m.observe(s, now)
				if con.isTTY() {
					con.setBar(barLine(s, frac, rate, eta))
				} else {
					log.Info("progress", progressAttrs(s, frac, rate, eta)...)
				}
			}
		}
	}()
	return p
}

// stop ends the display (the bar is removed); calling it again does nothing.
func (p *progress) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}

// progressAttrs are the keys of a progress log line: every figure a
// number of its own (durations in seconds in JSON logs).
func progressAttrs(s progressSnap, frac, rate float64, eta time.Duration) []any {
	attrs := []any{}
	if frac >= 0 {
		attrs = append(attrs, "done", s.Done, "total", s.Total, "unit", s.Unit, "percent", math.Round(frac*1000)/10)
		if s.Unsized > 0 {
			attrs = append(attrs, "unsized", s.Unsized)
		}
		if eta >= time.Second {
			attrs = append(attrs, "eta", eta.Round(time.Second))
		}
	}
	attrs = append(attrs, "rate", math.Round(rate*100)/100, "rate_unit", s.CountOf+"/s")
	for _, f := range s.Fields {
		attrs = append(attrs, f.Key, f.Val)
	}
	return attrs
}

// barLine renders the terminal's progress line.
func barLine(s progressSnap, frac, rate float64, eta time.Duration) string {
	const width = 24
	var b strings.Builder
	if frac >= 0 {
		n := int(frac * width)
		approx := "" // "~": the total counts listings not sized yet at an average
		if s.Unsized > 0 {
			approx = "~"
		}
		fmt.Fprintf(&b, "[%s%s] %3.0f%% %d/%s%d %s", strings.Repeat("#", n), strings.Repeat(".", width-n), math.Floor(frac*100), s.Done, approx, s.Total, s.Unit)
		if eta >= time.Second {
			fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
		}
		b.WriteString(" | ")
	}
	fmt.Fprintf(&b, "%.1f %s/s", rate, s.CountOf)
	for _, f := range s.Fields {
		fmt.Fprintf(&b, " %s=%d", f.Key, f.Val)
	}
	return b.String()
}
