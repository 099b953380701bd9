package main

import (
	"log/slog"
	"net/url"

	"github.com/kremlin-archive/kremlin-archive/config"
	"github.com/kremlin-archive/kremlin-archive/crawler"
)

// waybackFlags are the Wayback Machine flags of crawl and backfill:
// --wayback overrides wayback.use, --history (backfill) imports every
// differing capture of each document as its versions.
type waybackFlags struct {
	use     string
	history bool
}

// apply checks the flags against the command and the configuration and
// writes --wayback into cfg.
func (f *waybackFlags) apply(cfg *config.Config, ranged bool) error {
	if f.use != "" {
		if !config.ValidWaybackUse(f.use) {
			return usageErr("kremlin-archive crawl --wayback fallback", "--wayback must be fallback, only or never (got %q)", f.use)
		}
		cfg.Wayback.Use = f.use
	}
	use := cfg.Wayback.Use
	if f.history && use != config.WaybackOnly {
		return usageErr("kremlin-archive backfill --wayback only --history", "--history imports the Wayback Machine's captures as versions: use it with --wayback only (wayback.use is %q)", use)
	}
	if ranged && use == config.WaybackOnly {
		return usageErr("kremlin-archive backfill --wayback fallback --from 2012-05-07", "--from/--to select documents by publication date, which the Wayback Machine's index does not know: not with --wayback only")
	}
	return nil
}

// waybackOptions turns the wayback: section into engine options; the
// Internet Archive's published limits are floors (with a warning).
func waybackOptions(cfg *config.Config, log *slog.Logger) (crawler.WaybackOptions, error) {
	u, err := url.Parse(cfg.Wayback.BaseURL)
	if err != nil {
		return crawler.WaybackOptions{}, err
	}
	delay, perMinute, raised := cfg.WaybackLimits()
	if raised && cfg.Wayback.Use != config.WaybackNever {
		log.Warn("Wayback Machine limits raised to the Internet Archive's published ones", "delay", delay.String(), "cdx_per_minute", perMinute,
			"hint", "faster settings are only for other replay systems and test servers")
	}
	return crawler.WaybackOptions{
		Use:          crawler.WaybackUse(cfg.Wayback.Use),
		Base:         u,
		Delay:        delay,
		CDXPerMinute: perMinute,
	}, nil
}

// waybackSummary are the run summary's figures about the sources.
func waybackSummary(st *crawler.Stats, live, wayback int) []any {
	attrs := []any{"live", live, "wayback", wayback}
	if n := st.CDXCalls.Load() + st.CaptureRequests.Load(); n > 0 {
		attrs = append(attrs, "cdx_calls", st.CDXCalls.Load(), "capture_requests", st.CaptureRequests.Load())
	}
	if f := st.Fallback(); f != "" {
		attrs = append(attrs, "fallback", f)
	}
	return attrs
}
