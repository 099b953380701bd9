package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// progressSnap is what the progress display shows.
type progressSnap struct {
	Done, Total int64  // progress in Unit (Total 0 = unknown)
	Unit        string // "listing pages", "records"
	Rate        float64
	RateOf      string // "docs", "records"
	Summary     string
}

// progress shows a live bar on a terminal, or logs a line every interval
// otherwise (cron, systemd, pipes), so logs never fill with escape codes.
type progress struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

func startProgress(w io.Writer, tty bool, log *slog.Logger, interval time.Duration, snap func() progressSnap) *progress {
	p := &progress{quit: make(chan struct{})}
	every := interval
	if tty {
		every = 500 * time.Millisecond
	}
	if every <= 0 {
		return p
	}
	start := time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				if tty {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				s := snap()
				if tty {
					fmt.Fprint(w, "\r\033[K"+barLine(s, time.Since(start)))
				} else {
					attrs := []any{"rate", fmt.Sprintf("%.1f %s/s", s.Rate, s.RateOf), "stats", s.Summary}
					if s.Total > 0 {
						attrs = append(attrs, "done", fmt.Sprintf("%d/%d %s", s.Done, s.Total, s.Unit))
						if eta := etaOf(s, time.Since(start)); eta > 0 {
							attrs = append(attrs, "eta", eta.Round(time.Second).String())
						}
					}
					log.Info("progress", attrs...)
				}
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
}

func etaOf(s progressSnap, elapsed time.Duration) time.Duration {
	if s.Total <= 0 || s.Done <= 0 || s.Done >= s.Total {
		return 0
	}
	per := elapsed / time.Duration(s.Done)
	return per * time.Duration(s.Total-s.Done)
}

func barLine(s progressSnap, elapsed time.Duration) string {
	const width = 24
	var b strings.Builder
	if s.Total > 0 {
		frac := min(float64(s.Done)/float64(s.Total), 1)
		n := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] %3.0f%% %d/%d %s", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, s.Done, s.Total, s.Unit)
		if eta := etaOf(s, elapsed); eta > 0 {
			fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
		}
		b.WriteString(" | ")
	}
	fmt.Fprintf(&b, "%.1f %s/s | %s", s.Rate, s.RateOf, s.Summary)
	return b.String()
}
