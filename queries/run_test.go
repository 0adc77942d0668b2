package queries

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// dataArgs are parameters that put each report's "now" at the data set's asOf.
var dataArgs = map[string]map[string]string{
	"daily":        {"from_day": "2026-11-01", "to_day": "2026-11-05"},
	"users":        {"days": "5", "to_day": "2026-11-05"},
	"projects":     {"from_day": "2026-11-01", "to_day": "2026-11-05"},
	"cost":         {"as_of": "2026-11-05"},
	"cost_units":   {"from_day": "2026-11-01", "to_day": "2026-11-05"},
	"spend":        {"from_day": "2026-11-01", "to_day": "2026-11-05"},
	"quota":        {"as_of": "2026-11-05T18:00:00Z"},
	"budgets":      {"as_of": "2026-11-05T18:00:00Z"},
	"anomalies":    {"from_day": "2026-11-01", "to_day": "2026-11-05", "k": "0.5", "min_usd": "0"},
	"rate_limited": {"as_of": "2026-11-05T18:00:00Z"},
	"rates":        {"as_of": "2026-11-05T12:00:00Z"},
	"retention":    {"as_of": "2026-11-05", "days": "30"},
	"prices":       {"in_force_on": "2026-11-02"},
	"rollup":       {"from_day": "2026-09-01", "to_day": "2026-11-05"},
}

func runReport(t *testing.T, db *sql.DB, name string, args map[string]string) *Result {
	t.Helper()
	r, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), db, args)
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return res
}

func TestEveryReportRunsAndMatchesItsHeader(t *testing.T) {
	for _, r := range All() {
		t.Run(r.Name, func(t *testing.T) {
			db, _ := newDB(t)
			args, ok := dataArgs[r.Name]
			if !ok {
				t.Fatalf("no test arguments for report %s", r.Name)
			}
			res := runReport(t, db, r.Name, args)
			if len(res.Rows) == 0 {
				t.Errorf("no rows")
			}
			if len(res.Columns) != len(r.Columns) {
				t.Fatalf("result has %d columns, header declares %d", len(res.Columns), len(r.Columns))
			}
			for i, c := range res.Columns {
				if c.Name != r.Columns[i].Name || !strings.EqualFold(c.Type, r.Columns[i].Type) {
					t.Errorf("column %d is %s %s, header says %s %s", i, c.Name, c.Type, r.Columns[i].Name, r.Columns[i].Type)
				}
			}
			// Defaults: every report also runs with no parameters at all.
			runReport(t, db, r.Name, nil)
		})
	}
}

func TestRunRejectsBadParameters(t *testing.T) {
	db, _ := newDB(t)
	tests := []struct {
		report string
		args   map[string]string
		want   string
	}{
		{"daily", map[string]string{"from_day": "2026-13-01"}, `parameter from_day: "2026-13-01" is not a date`},
		{"daily", map[string]string{"days": "7"}, "parameter days: not a parameter of this report (it takes from_day, to_day, user_id, project_id, model)"},
		{"users", map[string]string{"days": "seven"}, `parameter days: "seven" is not a whole number`},
		{"quota", map[string]string{"threshold": "NaN"}, `parameter threshold: "NaN" is not a finite number`},
		{"quota", map[string]string{"as_of": "yesterday"}, `parameter as_of: "yesterday" is not a time`},
		{"users", map[string]string{"user_id": "x'; DROP TABLE ai_usage_log; --"}, ""}, // bound, not spliced: runs, finds nobody
	}
	for _, tt := range tests {
		r, err := Lookup(tt.report)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(context.Background(), db, tt.args)
		if tt.want == "" {
			if err != nil || len(res.Rows) != 0 {
				t.Errorf("%s %v: got %v rows, err %v; want no rows", tt.report, tt.args, res, err)
			}
			continue
		}
		var perr *ParamError
		if !errors.As(err, &perr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want a ParamError containing %q", tt.report, tt.args, err, tt.want)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ai_usage_log`).Scan(&n); err != nil || n == 0 {
		t.Errorf("ai_usage_log after the injection attempt: %d rows, %v", n, err)
	}
}

func TestVariablesDoNotLeakBetweenRuns(t *testing.T) {
	db, _ := newDB(t)
	db.SetMaxOpenConns(1) // every run gets the same connection
	one := runReport(t, db, "users", map[string]string{"days": "5", "to_day": "2026-11-05", "user_id": "ana"})
	all := runReport(t, db, "users", map[string]string{"days": "5", "to_day": "2026-11-05"})
	if len(one.Rows) != 1 || len(all.Rows) != len(users) {
		t.Errorf("got %d rows for one user then %d for all, want 1 then %d", len(one.Rows), len(all.Rows), len(users))
	}
}

func TestLookupUnknownListsKnown(t *testing.T) {
	_, err := Lookup("dailly")
	var u *UnknownReportError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "cost, cost_units, daily, prices, projects, quota, rate_limited, rates, retention, rollup, spend, users") {
		t.Errorf("err = %v", err)
	}
}
