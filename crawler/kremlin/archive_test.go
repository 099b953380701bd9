package kremlin

import (
	"strings"
	"testing"

	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// rec builds a record from "label=key" turns ("label" alone: null key).
func rec(lang string, id int64, turns ...string) *record.Record {
	r := &record.Record{ID: id, Lang: lang}
	for _, t := range turns {
		label, key, ok := strings.Cut(t, "=")
		tr := record.Turn{Speaker: label, Text: "…"}
		if ok {
			tr.SpeakerKey = record.Str(key)
		}
		r.Turns = append(r.Turns, tr)
	}
	return r
}

func withPersons(r *record.Record, persons ...string) *record.Record {
	r.Tags = map[string][]string{}
	r.TagKeys = map[string][]*string{}
	for _, p := range persons {
		name, key, _ := strings.Cut(p, "=")
		r.Tags["persons"] = append(r.Tags["persons"], name)
		r.TagKeys["persons"] = append(r.TagKeys["persons"], record.Str(key))
	}
	return r
}

func keys(r *record.Record) string {
	var out []string
	for _, t := range r.Turns {
		out = append(out, keyStr(t.SpeakerKey))
	}
	return strings.Join(out, ",")
}

func TestSpeakerTableAliases(t *testing.T) {
	learned := []*record.Record{
		rec("en", 1, "Foreign Minister Sergei Lavrov=persons/132", "Sergei Lavrov=persons/132", "Vladimir Putin="+record.HeadOfStateKey),
		rec("ru", 1, "С.Лавров=persons/132", "В.Путин="+record.HeadOfStateKey),
		rec("en", 2, "Sergei Ivanov=persons/81"),
		rec("en", 3, "Sergei Ivanov=persons/82"), // two people of that name: ambiguous
		rec("en", 4, "Mr Lavrov=persons/132"),    // a bare surname is not learned
		rec("en", 5, "Fyodor Lukyanov"),          // unresolved labels teach nothing
	}
	table := NewSpeakerTable()
	for _, r := range learned {
		table.Learn(r)
	}
	if res, amb := table.Counts(); res != 5 || amb != 1 {
		t.Errorf("Counts = %d resolved, %d ambiguous; want 5, 1 (%v)", res, amb, table.Labels)
	}
	for _, c := range []struct {
		name string
		r    *record.Record
		want string
	}{
		{"learned labels", rec("en", 10, "Sergei Lavrov", "Foreign Minister Sergei Lavrov", "Sergey  Lavrov"), "persons/132,persons/132,persons/132"},
		{"russian label", rec("ru", 10, "С.Лавров", "С. Лавров"), "persons/132,persons/132"},
		{"ambiguous label stays null", rec("en", 11, "Sergei Ivanov"), "null"},
		{"bare surname is not applied", rec("en", 12, "Mr Lavrov"), "null"},
		{"unknown label", rec("en", 13, "Fyodor Lukyanov", "Question"), "null,null"},
		{"page keys are kept", rec("en", 14, "Sergei Lavrov=persons/999"), "persons/999"},
		{"own persons tag points elsewhere", withPersons(rec("en", 15, "Sergei Lavrov"), "Lavrov Sergei=persons/500"), "null"},
		{"own persons tags are ambiguous", withPersons(rec("en", 16, "Sergei Lavrov"), "Lavrov Sergei=persons/132", "Lavrov Sergei=persons/500"), "null"},
		{"own persons tags agree", withPersons(rec("en", 17, "Sergei Lavrov"), "Lavrov Sergei=persons/132"), "persons/132"},
	} {
		t.Run(c.name, func(t *testing.T) {
			table.Resolve(c.r, nil)
			if got := keys(c.r); got != c.want {
				t.Errorf("keys = %s, want %s", got, c.want)
			}
		})
	}
}

func TestSpeakerTablePairs(t *testing.T) {
	hos := "=" + record.HeadOfStateKey
	empty := NewSpeakerTable()
	for _, c := range []struct {
		name      string
		r, other  *record.Record
		want      string
		wantAdded int
	}{
		{"keys cross over",
			rec("en", 1, "President of Russia Vladimir Putin"+hos, "Fyodor Lukyanov", "Vladimir Putin"+hos, "Fyodor Lukyanov"),
			rec("ru", 1, "В.Путин"+hos, "Ф.Лукьянов=persons/609", "В.Путин"+hos, "Ф.Лукьянов"),
			"head-of-state/putin,persons/609,head-of-state/putin,persons/609", 2},
		{"a label keyed once keys its other turns",
			rec("ru", 2, "Ф.Лукьянов", "В.Путин"+hos, "Ф.Лукьянов"),
			rec("en", 2, "Fyodor Lukyanov=persons/609", "Vladimir Putin"+hos, "Fyodor Lukyanov=persons/609"),
			"persons/609,head-of-state/putin,persons/609", 2},
		{"questions stay null",
			rec("en", 3, "Question", "Vladimir Putin"+hos),
			rec("ru", 3, "А.Тойе=persons/700", "В.Путин"+hos),
			"null,head-of-state/putin", 0},
		{"different numbers of turns",
			rec("en", 4, "Fyodor Lukyanov", "Vladimir Putin"+hos),
			rec("ru", 4, "Ф.Лукьянов=persons/609", "В.Путин"+hos, "Ф.Лукьянов=persons/609"),
			"null,head-of-state/putin", 0},
		{"turns that do not line up",
			rec("en", 5, "Fyodor Lukyanov", "Vladimir Putin"+hos),
			rec("ru", 5, "В.Путин"+hos, "Ф.Лукьянов=persons/609"),
			"null,head-of-state/putin", 0},
		{"a label with two keys in the pair",
			rec("en", 6, "Mr Ivanov", "Mr Ivanov"),
			rec("ru", 6, "С.Иванов=persons/81", "В.Иванов=persons/80"),
			"null,null", 0},
		{"the other side's label with two keys",
			rec("en", 7, "Sergei Ivanov", "Viktor Ivanov=persons/80"),
			rec("ru", 7, "Иванов", "Иванов"),
			"null,persons/80", 0},
		{"labels of different people at one position",
			rec("en", 11, "Nikolai Patrushev", "Vladimir Putin"+hos),
			rec("ru", 11, "А.Тойе=persons/700", "В.Путин"+hos),
			"null,head-of-state/putin", 0},
		{"transliterations line up",
			rec("en", 12, "President of the People's Republic of China Xi Jinping", "Fyodor Lukyanov", "Sergei Shoigu", "Yevgeny Ditrikh"),
			rec("ru", 12, "Си Цзиньпин=persons/606", "Ф.Лукьянов=persons/609", "С.Шойгу=persons/90", "Е.Дитрих=persons/554"),
			"persons/606,persons/609,persons/90,persons/554", 4},
		{"not the other language", rec("en", 8, "Fyodor Lukyanov"), rec("en", 8, "Fyodor Lukyanov=persons/609"), "null", 0},
		{"another document", rec("en", 9, "Fyodor Lukyanov"), rec("ru", 10, "Ф.Лукьянов=persons/609"), "null", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := keys(c.other)
			n := empty.Resolve(c.r, c.other)
			if got := keys(c.r); got != c.want || n != c.wantAdded {
				t.Errorf("keys = %s (%d added), want %s (%d)", got, n, c.want, c.wantAdded)
			}
			if keys(c.other) != before {
				t.Errorf("Resolve changed the other record: %s -> %s", before, keys(c.other))
			}
		})
	}
}

func TestSpeakerTableEncoding(t *testing.T) {
	table := NewSpeakerTable()
	table.Learn(rec("en", 1, "Sergei Lavrov=persons/132"))
	table.HighWater = 42
	b, err := MarshalTable(table)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalTable(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.HighWater != 42 || back.Records != 1 || back.Labels["sergei lavrov"] != "persons/132" {
		t.Errorf("round trip: %+v", back)
	}
	if _, err := UnmarshalTable([]byte(`{"format":99}`)); err == nil || !strings.Contains(err.Error(), "reparse") {
		t.Errorf("a table of another format: %v", err)
	}
	if _, err := UnmarshalTable([]byte(`{`)); err == nil {
		t.Error("a damaged table decodes")
	}
}
