package kremlin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Moscow must resolve in minimal images too
)

// Dates and times on the site are Moscow wall-clock times (SPEC §4.3):
// the offset is the one in force on that date in the IANA zone
// Europe/Moscow: +03/+04 with summer time until 2011-03-27, +04 from then
// to 2014-10-26, +03 since. Never a fixed offset.

var (
	moscowOnce sync.Once
	moscowLoc  *time.Location
)

func moscow() *time.Location {
	moscowOnce.Do(func() {
		loc, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			// Unreachable with time/tzdata embedded; keep a sane fallback.
			loc = time.FixedZone("MSK", 3*3600)
		}
		moscowLoc = loc
	})
	return moscowLoc
}

// Day is the site's calendar day (Moscow) of t, as YYYY-MM-DD: the
// calendar of the dates in its listings and pages.
func Day(t time.Time) string { return t.In(moscow()).Format(time.DateOnly) }

// MoscowTime combines a date ("2012-05-07") and a wall-clock time ("12:00")
// in Moscow into an RFC 3339 timestamp with the offset in force on that
// date: "2012-05-07T12:00:00+04:00".
func MoscowTime(date, hhmm string) (string, error) {
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		return "", fmt.Errorf("kremlin: bad date %q: %w", date, err)
	}
	hm, ok := parseHHMM(hhmm)
	if !ok {
		return "", fmt.Errorf("kremlin: bad time %q (want HH:MM)", hhmm)
	}
	h, _ := strconv.Atoi(hm[:2])
	m, _ := strconv.Atoi(hm[3:])
	t := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, moscow())
	return t.Format(time.RFC3339), nil
}

var hhmmRE = regexp.MustCompile(`^([01]?\d|2[0-3])[:.]([0-5]\d)$`)

// parseHHMM validates a wall-clock time and normalises it to "HH:MM"
// ("9:05" -> "09:05").
func parseHHMM(s string) (string, bool) {
	m := hhmmRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	h := m[1]
	if len(h) == 1 {
		h = "0" + h
	}
	return h + ":" + m[2], true
}

var hhmmInTextRE = regexp.MustCompile(`(?:^|[^\d:])([01]?\d|2[0-3]):([0-5]\d)(?:$|[^\d:])`)

// findHHMM returns the last HH:MM found in a text such as
// "August 18, 2020, 14:05" or "12 августа 2026 года, 16:30".
func findHHMM(s string) (string, bool) {
	ms := hhmmInTextRE.FindAllStringSubmatch(s, -1)
	if len(ms) == 0 {
		return "", false
	}
	m := ms[len(ms)-1]
	return parseHHMM(m[1] + ":" + m[2])
}

// validDate reports whether s is a YYYY-MM-DD calendar date. A longer
// datetime value ("2020-08-27T15:20:00+03:00") is cut to its date.
func validDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	if len(s) != 10 {
		return "", false
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return "", false
	}
	return s, true
}

var months = map[string]time.Month{
	// English, full and abbreviated.
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
	"july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	// Russian, genitive (as printed in dates) and nominative.
	"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
	"июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
	"январь": 1, "февраль": 2, "март": 3, "апрель": 4, "май": 5, "июнь": 6,
	"июль": 7, "август": 8, "сентябрь": 9, "октябрь": 10, "ноябрь": 11, "декабрь": 12,
}

var (
	// "August 27, 2020", "August 27, 2020, 15:20"
	dateMDY = regexp.MustCompile(`(?i)\b([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b`)
	// "12 августа 2026 года, 16:30", "27 August 2020"
	dateDMY = regexp.MustCompile(`(?i)(?:^|[^\pL\d])(\d{1,2})\s+(\pL+)\.?,?\s+(\d{4})(?:$|[^\d])`)
)

// parseDateText reads a date out of English or Russian text:
// "August 27, 2020, 15:20" or "12 августа 2026 года, 16:30" -> "2020-08-27".
// Relative dates ("2 дня назад") are not dates.
func parseDateText(s string) (string, bool) {
	s = clean(s)
	try := func(day, month, year string) (string, bool) {
		mo, ok := months[strings.ToLower(month)]
		if !ok {
			return "", false
		}
		d, _ := strconv.Atoi(day)
		y, _ := strconv.Atoi(year)
		t := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d || t.Month() != mo {
			return "", false // February 30 and the like
		}
		return t.Format("2006-01-02"), true
	}
	if m := dateMDY.FindStringSubmatch(s); m != nil {
		if d, ok := try(m[2], m[1], m[3]); ok {
			return d, true
		}
	}
	if m := dateDMY.FindStringSubmatch(s); m != nil {
		if d, ok := try(m[1], m[2], m[3]); ok {
			return d, true
		}
	}
	return "", false
}
