package queries

import (
	"context"
	"database/sql"
	"testing"

	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries/queriestest"
)

// filterParams are the slice filters the console passes to every report that declares
// them; a report that declares one must give, filtered, what it gives unfiltered on the
// calls of that slice alone.
var filterParams = []string{"user_id", "project_id", "model"}

// sliceDB is a database holding only the calls keep selects, rolled up and then cut by
// retention as prepareHistory does: its reports are what the filtered ones must return.
func sliceDB(t *testing.T, calls []call, keep func(call) bool) *sql.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := schema.ReplacePrices(ctx, db, testPrices(t).Prices(), schema.Origin{Kind: schema.OriginFile, Name: "testdata/prices.csv"}); err != nil {
		t.Fatal(err)
	}
	var slice []call
	for _, c := range calls {
		if keep(c) {
			slice = append(slice, c)
		}
	}
	if err := insertCalls(ctx, db, slice); err != nil {
		t.Fatal(err)
	}
	prepareHistory(t, db)
	return db
}

// prepareHistory rolls every day up and deletes September's raw rows, so the reports
// read those days from the roll-up.
func prepareHistory(t *testing.T, db *sql.DB) {
	t.Helper()
	runReport(t, db, "rollup", map[string]string{"from_day": "2026-09-01", "to_day": "2026-11-05"})
	runReport(t, db, "retention", map[string]string{"as_of": "2026-10-15", "days": "20"})
}

func TestFiltersSelectTheSlice(t *testing.T) {
	full, calls := newDB(t)
	prepareHistory(t, full)
	if n := len(runReport(t, full, "daily", map[string]string{"from_day": "2026-09-20", "to_day": "2026-09-21"}).Rows); n == 0 {
		t.Fatal("the roll-up holds no September rows: the test would not cover it")
	}
	// Every report run over the whole data set, September's rolled-up days included.
	args := map[string]map[string]string{
		"daily":      {"from_day": "2026-09-01", "to_day": "2026-11-05"},
		"users":      {"days": "66", "to_day": "2026-11-05"},
		"projects":   {"from_day": "2026-09-01", "to_day": "2026-11-05"},
		"cost":       {"as_of": "2026-11-05"},
		"cost_units": {"from_day": "2026-09-01", "to_day": "2026-11-05"},
		"spend":      {"from_day": "2026-09-01", "to_day": "2026-11-05"},
	}
	slices := []struct {
		param, value string
		keep         func(call) bool
	}{
		{"user_id", "ana", func(c call) bool { return c.user == "ana" }},
		{"project_id", "voice", func(c call) bool { return c.project == "voice" }},
		{"model", "gemini-2.5-flash", func(c call) bool { return c.model == "gemini-2.5-flash" }},
		{"model", "no-such-model", func(c call) bool { return false }},
		// An empty value is a parameter not given (see Bind): every call.
		{"user_id", "", func(c call) bool { return true }},
	}
	for _, r := range All() {
		declared := 0
		for _, p := range filterParams {
			if _, ok := r.Param(p); ok {
				declared++
			}
		}
		if declared == 0 {
			continue
		}
		if declared != len(filterParams) {
			t.Errorf("%s declares %d of the filters %v: a report offers all or none", r.Name, declared, filterParams)
		}
		if args[r.Name] == nil {
			t.Errorf("%s has filters but no arguments here: add it to the test", r.Name)
		}
	}
	for name, base := range args {
		for _, s := range slices {
			t.Run(name+"/"+s.param+"="+s.value, func(t *testing.T) {
				filtered := map[string]string{s.param: s.value}
				for k, v := range base {
					filtered[k] = v
				}
				got := runReport(t, full, name, filtered)
				want := runReport(t, sliceDB(t, calls, s.keep), name, base)
				if !queriestest.SameRows(got.Rows, want.Rows) {
					t.Errorf("filtered:\n got  %v\n want %v (the report on the slice's calls alone)", got.Rows, want.Rows)
				}
				if len(want.Rows) == 0 && s.value != "no-such-model" {
					t.Error("the slice is empty: the comparison proves nothing")
				}
			})
		}
	}
}
