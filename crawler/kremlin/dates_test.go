package kremlin

import "testing"

func TestMoscowTime(t *testing.T) {
	for _, c := range []struct {
		date, hhmm, want string
	}{
		// 2010: summer time +04 (MSD) from the last Sunday of March to the last of October, +03 (MSK) otherwise
		{"2010-01-15", "12:00", "2010-01-15T12:00:00+03:00"},
		{"2010-03-28", "01:59", "2010-03-28T01:59:00+03:00"},
		{"2010-03-28", "03:00", "2010-03-28T03:00:00+04:00"},
		{"2010-07-01", "09:30", "2010-07-01T09:30:00+04:00"},
		{"2010-10-12", "12:00", "2010-10-12T12:00:00+04:00"},
		{"2010-12-01", "12:00", "2010-12-01T12:00:00+03:00"},
		{"2003-06-24", "20:00", "2003-06-24T20:00:00+04:00"},
		{"1999-12-31", "23:59", "1999-12-31T23:59:00+03:00"},
		// 2011-03-27: the last switch to summer time, kept all year until 2014
		{"2011-03-26", "12:00", "2011-03-26T12:00:00+03:00"},
		{"2011-03-27", "12:00", "2011-03-27T12:00:00+04:00"},
		{"2011-12-01", "12:00", "2011-12-01T12:00:00+04:00"},
		{"2012-05-07", "12:00", "2012-05-07T12:00:00+04:00"},
		{"2012-12-14", "13:20", "2012-12-14T13:20:00+04:00"},
		// 2014-10-26: back to +03 for good
		{"2014-10-25", "12:00", "2014-10-25T12:00:00+04:00"},
		{"2014-10-26", "12:00", "2014-10-26T12:00:00+03:00"},
		{"2017-10-19", "20:10", "2017-10-19T20:10:00+03:00"},
		{"2020-08-27", "15:20", "2020-08-27T15:20:00+03:00"},
		{"2026-08-12", "16:30", "2026-08-12T16:30:00+03:00"},
		{"2020-08-27", "9:05", "2020-08-27T09:05:00+03:00"},
		{"2020-08-27", "00:00", "2020-08-27T00:00:00+03:00"},
	} {
		got, err := MoscowTime(c.date, c.hhmm)
		if err != nil || got != c.want {
			t.Errorf("MoscowTime(%q, %q) = %q, %v; want %q", c.date, c.hhmm, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"2020-02-30", "12:00"}, {"27.08.2020", "12:00"}, {"2020-08-27", "24:00"},
		{"2020-08-27", "12:60"}, {"2020-08-27", ""}, {"", "12:00"}, {"2020-08-27", "12:00:00"}} {
		if got, err := MoscowTime(c[0], c[1]); err == nil {
			t.Errorf("MoscowTime(%q, %q) = %q, want an error", c[0], c[1], got)
		}
	}
}

func TestParseDateText(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"August 27, 2020", "2020-08-27"},
		{"August 27, 2020, 15:20", "2020-08-27"},
		{"October 19, 2017", "2017-10-19"},
		{"January 1, 2000, Saturday", "2000-01-01"},
		{"Announcement, October 24, 2019", "2019-10-24"},
		{"Last updated at October 23, 2017, 09:39", "2017-10-23"},
		{"Sept 5, 2005", "2005-09-05"},
		{"12 августа 2026 года, 16:30", "2026-08-12"},
		{"8 мая 2025 года 10:10", "2025-05-08"},
		{"13\u00a0марта 2026\u00a0года, 13:25", "2026-03-13"},
		{"1 января 2000 года", "2000-01-01"},
		{"31 декабря 1999 года, 23:59", "1999-12-31"},
		{"24 ноября 2023", "2023-11-24"},
		{"Анонс, 24 июня 2026 года", "2026-06-24"},
		{"27 August 2020", "2020-08-27"},
		// not dates
		{"2 дня назад", ""},
		{"вчера", ""},
		{"сегодня, 12:00", ""},
		{"August 18, Tuesday", ""},
		{"February 30, 2020", ""},
		{"32 мая 2020 года", ""},
		{"", ""},
	} {
		got, ok := parseDateText(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("parseDateText(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestFindHHMM(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"August 18, 2020, 14:05", "14:05"},
		{"12 августа 2026 года, 16:30", "16:30"},
		{"сегодня, 9:15", "09:15"},
		{"December 31, 1999, 23:59", "23:59"},
		{"2 дня назад", ""},
		{"August 18, 2020", ""},
		{"at 25:61", ""},
		{"12:00:00", ""},
	} {
		got, ok := findHHMM(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("findHHMM(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{{"15:20", "15:20"}, {" 9:05 ", "09:05"}, {"16.30", "16:30"}, {"24:00", ""}, {"1520", ""}} {
		got, _ := parseHHMM(c.in)
		if got != c.want {
			t.Errorf("parseHHMM(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestValidDate(t *testing.T) {
	for in, want := range map[string]string{"2020-08-27": "2020-08-27", " 2020-08-27 ": "2020-08-27",
		"2020-08-27T15:20:00+03:00": "2020-08-27", "2020-13-01": "", "2020-8-27": "", "": "", "27.08.2020": ""} {
		got, ok := validDate(in)
		if got != want || ok != (want != "") {
			t.Errorf("validDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// Russian date texts on both sides of the Moscow offset changes: the
// published time carries the offset in force on that date.
func TestRussianDateTextAcrossOffsetChanges(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"26 марта 2011 года, 12:00", "2011-03-26T12:00:00+03:00"},
		{"27 марта 2011 года, 12:00", "2011-03-27T12:00:00+04:00"},
		{"25 октября 2014 года, 18:30", "2014-10-25T18:30:00+04:00"},
		{"26 октября 2014 года, 18:30", "2014-10-26T18:30:00+03:00"},
		{"15 июля 2010 года, 09:05", "2010-07-15T09:05:00+04:00"},
		{"15 января 2010 года, 09:05", "2010-01-15T09:05:00+03:00"},
		{"12 августа 2026 года, 16:30", "2026-08-12T16:30:00+03:00"},
	} {
		date, ok := parseDateText(c.in)
		if !ok {
			t.Errorf("parseDateText(%q) failed", c.in)
			continue
		}
		hhmm, ok := findHHMM(c.in)
		if !ok {
			t.Errorf("findHHMM(%q) failed", c.in)
			continue
		}
		got, err := MoscowTime(date, hhmm)
		if err != nil || got != c.want {
			t.Errorf("%q -> %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
