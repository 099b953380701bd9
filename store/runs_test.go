package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kremlin-archive/kremlin-archive/store"
)

func TestDB_StartRun_MarksStaleRunsCrashed(t *testing.T) {
	db := mustOpen(t)
	r1, _ := db.StartRun("crawl", []string{"--lang", "en"}, t0)
	r1.Status, r1.End = "ok", t0.Add(time.Minute)
	if err := db.FinishRun(r1); err != nil {
		t.Fatal(err)
	}
	r2, _ := db.StartRun("crawl", nil, t0.Add(time.Hour))      // dies
	r3, _ := db.StartRun("backfill", nil, t0.Add(2*time.Hour)) // dies too
	if r2.ID != r1.ID+1 || r3.ID != r2.ID+1 {
		t.Errorf("run IDs %d %d %d, want consecutive", r1.ID, r2.ID, r3.ID)
	}
	db = reopen(t, db, testOpts())
	r4, err := db.StartRun("crawl", nil, t0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := db.Runs(0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.Status)
	}
	if want := []string{"running", "crashed", "crashed", "ok"}; !slices.Equal(got, want) {
		t.Errorf("statuses newest first = %v, want %v", got, want)
	}
	if runs[0].ID != r4.ID || runs[1].ExitCode != -1 || runs[2].ExitCode != -1 || runs[3].ExitCode != 0 {
		t.Errorf("runs = %+v", runs)
	}
	if !slices.Equal(runs[3].Args, []string{"--lang", "en"}) || runs[3].Mode != "crawl" || !runs[3].Start.Equal(t0) {
		t.Errorf("first run = %+v", runs[3])
	}
}

func TestDB_FinishRun_KeepsStoreCounters(t *testing.T) {
	db := mustOpen(t)
	run, _ := db.StartRun("crawl", nil, t0)
	put(t, db, doc{id: 1}, run.ID)
	put(t, db, doc{id: 2}, run.ID)
	put(t, db, doc{id: 2, title: "changed"}, run.ID)
	put(t, db, doc{id: 2, title: "changed", at: t0.Add(time.Hour)}, run.ID)
	db.FailFetch("en", 3, "x", 500, t0, t0, run.ID)
	db.RecordListing("en", "news", nil, t0, nil, run.ID)
	db.RecordListing("en", "news", nil, t0, nil, run.ID)
	other, _ := db.StartRun("crawl", nil, t0) // counts of another run stay apart
	put(t, db, doc{id: 9}, other.ID)

	// The caller's figures for store-kept counters are ignored.
	run.New, run.Updated, run.Unchanged, run.Failed, run.ListingPages = 100, 100, 100, 100, 100
	run.Requests, run.Bytes, run.Throttled, run.Pending = 12, 34567, 1, 1
	run.Status, run.ExitCode, run.End, run.Error = "partial", 3, t0.Add(time.Hour), "1 document failed"
	if err := db.FinishRun(run); err != nil {
		t.Fatal(err)
	}
	runs, _ := db.Runs(0)
	var got store.Run
	for _, r := range runs {
		if r.ID == run.ID {
			got = r
		}
	}
	if got.New != 2 || got.Updated != 1 || got.Unchanged != 1 || got.Failed != 1 || got.ListingPages != 2 {
		t.Errorf("store counters new/updated/unchanged/failed/pages = %d/%d/%d/%d/%d, want 2/1/1/1/2",
			got.New, got.Updated, got.Unchanged, got.Failed, got.ListingPages)
	}
	if got.Requests != 12 || got.Bytes != 34567 || got.Status != "partial" || got.ExitCode != 3 || got.Error == "" || !got.End.Equal(t0.Add(time.Hour)) {
		t.Errorf("caller's figures not kept: %+v", got)
	}
	if run.New != 2 {
		t.Errorf("FinishRun did not copy the stored counters into r: New = %d", run.New)
	}
	if c, _ := db.RunCounters(other.ID); c.New != 1 {
		t.Errorf("other run New = %d, want 1", c.New)
	}
}

func TestDB_Runs_NewestFirst(t *testing.T) {
	db := mustOpen(t)
	for i := range 5 {
		r, _ := db.StartRun("crawl", nil, t0.Add(time.Duration(i)*time.Hour))
		r.Status = "ok"
		db.FinishRun(r)
	}
	tests := []struct {
		n    int
		want []uint64
	}{
		{2, []uint64{5, 4}},
		{0, []uint64{5, 4, 3, 2, 1}},
		{-1, []uint64{5, 4, 3, 2, 1}},
		{10, []uint64{5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		runs, err := db.Runs(tt.n)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Runs(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestDB_RunCounters_NoRun(t *testing.T) {
	db := mustOpen(t)
	put(t, db, doc{id: 1}, 0)     // run 0: not counted anywhere
	put(t, db, doc{id: 2}, 12345) // unknown run: ignored
	if runs, _ := db.Runs(0); len(runs) != 0 {
		t.Errorf("runs = %+v, want none", runs)
	}
}
