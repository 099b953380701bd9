package record

import (
	"net/url"
	"strings"
	"time"
)

// WaybackTimestamp is the layout of the Wayback Machine's 14-digit
// capture timestamps (UTC).
const WaybackTimestamp = "20060102150405"

// WaybackTarget splits a Wayback Machine capture URL,
// https://web.archive.org/web/<timestamp><modifier>/<original URL>, into
// the original URL and the capture time. The modifier (id_, im_ …) is
// optional; a percent-encoded original URL is decoded. ok is false for
// any other URL.
func WaybackTarget(captureURL string) (original string, at time.Time, ok bool) {
	u, err := url.Parse(captureURL)
	if err != nil {
		return "", time.Time{}, false
	}
	// The original URL is everything after /web/<timestamp>[mod]/, taken
	// from the raw string: its own query belongs to it.
	raw := captureURL
	i := strings.Index(raw, "/web/")
	if i < 0 || u.Host == "" {
		return "", time.Time{}, false
	}
	rest := raw[i+len("/web/"):]
	stamp, orig, found := strings.Cut(rest, "/")
	if !found {
		return "", time.Time{}, false
	}
	digits := 0
	for digits < len(stamp) && stamp[digits] >= '0' && stamp[digits] <= '9' {
		digits++
	}
	if digits != 14 || !validModifier(stamp[digits:]) {
		return "", time.Time{}, false
	}
	at, err = time.ParseInLocation(WaybackTimestamp, stamp[:digits], time.UTC)
	if err != nil {
		return "", time.Time{}, false
	}
	if l := strings.ToLower(orig); strings.HasPrefix(l, "http%3a") || strings.HasPrefix(l, "https%3a") {
		if dec, err := url.PathUnescape(orig); err == nil {
			orig = dec
		}
	}
	ou, err := url.Parse(orig)
	if err != nil || (ou.Scheme != "http" && ou.Scheme != "https") || ou.Host == "" {
		return "", time.Time{}, false
	}
	return orig, at, true
}

// validModifier accepts "" and the playback modifiers of the Wayback
// Machine: two lower-case letters and an underscore (id_, im_, js_ …).
func validModifier(m string) bool {
	if m == "" {
		return true
	}
	return len(m) == 3 && m[2] == '_' && m[0] >= 'a' && m[0] <= 'z' && m[1] >= 'a' && m[1] <= 'z'
}

// Capture returns the URL and the time of the capture a record's raw
// copy is: for a Wayback Machine copy the original page URL and the
// capture time; for a live copy source_url and fetched_at. ok is false
// when the record names neither.
func (r *Record) Capture() (target string, at time.Time, ok bool) {
	if r.Source == SourceWayback {
		if orig, ts, good := WaybackTarget(r.SourceURL); good {
			if t, err := time.Parse(time.RFC3339Nano, r.CapturedAt); err == nil {
				ts = t
			}
			return orig, ts, true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, r.FetchedAt)
	if err != nil || r.SourceURL == "" {
		return "", time.Time{}, false
	}
	return r.SourceURL, t, true
}
