package queries

import (
	"errors"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	r, err := Lookup("users")
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Per-user usage: requests, tokens, cost and last call per user over the last N days." {
		t.Errorf("title %q", r.Title)
	}
	if !strings.HasPrefix(r.Question, "who uses the models, how much, and what does it cost, for every user or one? Days whose raw rows") {
		t.Errorf("question %q", r.Question)
	}
	want := []Param{
		{"days", "INTEGER", "UTC days to cover, ending with to_day (default: 30)"},
		{"to_day", "DATE", "last UTC day, inclusive (default: today, UTC)"},
		{"user_id", "VARCHAR", "only this user.id (default: every user; '' is calls without one)"},
	}
	if len(r.Params) != len(want) {
		t.Fatalf("params %v", r.Params)
	}
	for i := range want {
		if r.Params[i] != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, r.Params[i], want[i])
		}
	}
	if c := r.Columns[len(r.Columns)-1]; c != (Column{"last_seen", "TIMESTAMPTZ", "the user's latest call"}) {
		t.Errorf("last column %+v", c)
	}
	if !r.ReadOnly() {
		t.Error("users is read-only")
	}
	if rr, _ := Lookup("retention"); rr.ReadOnly() || strings.Join(rr.Writes, ",") != "ai_usage_log,ai_quota_snapshot,ai_metric_gauge,ai_metric_sum,"+
		"ai_metric_histogram,ai_metric_exponential_histogram,ai_metric_summary" {
		t.Errorf("retention writes %v", rr.Writes)
	}
}

func TestParseErrors(t *testing.T) {
	const cols = "--\n-- Columns:\n--   n  BIGINT  a count\n"
	tests := []struct{ name, file, want string }{
		{"Bad", "-- t\n-- Question: q?\n" + cols, `report "Bad": name must be a lower-case identifier`},
		{"x", "SELECT 1;", "must open with a comment line"},
		{"x", "-- t\n" + cols, "header has no Question:"},
		{"x", "-- t\n-- Question: q?\n", "header lists no Columns"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  BIGINT  n\n" + cols, `line 4: parameter days: type "BIGINT" is not one of`},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   Days  INTEGER  n\n" + cols, `line 4: parameter "Days" is not a lower-case identifier`},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   format  VARCHAR  n\n" + cols, "may not be called format"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   a  INTEGER  n\n--   a  INTEGER  n\n" + cols, "parameter a declared twice"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  INTEGER  n\n" + cols + "SELECT 1", "never reads getvariable('days')"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.name, tt.file)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) err = %v, want %q", tt.file, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, r := range All() {
		f.Add(r.SQL)
	}
	f.Add("-- t\n-- Question:\n-- Parameters\n--   \n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse("fuzz", s)
		if err != nil {
			return
		}
		if r.Title == "" || r.Question == "" || len(r.Columns) == 0 {
			t.Errorf("accepted a header missing a part: %+v", r)
		}
		for _, p := range r.Params {
			if !identifier.MatchString(p.Name) || !paramTypes[p.Type] {
				t.Errorf("accepted parameter %+v", p)
			}
		}
	})
}

func TestBind(t *testing.T) {
	r, _ := Lookup("quota")
	got, err := r.Bind(map[string]string{"as_of": "2026-11-05T10:00:00+02:00", "days": " 3 ", "threshold": ""})
	if err != nil {
		t.Fatal(err)
	}
	if got["as_of"] != "2026-11-05T08:00:00Z" || got["days"] != "3" {
		t.Errorf("Bind = %v", got)
	}
	if _, given := got["threshold"]; given {
		t.Error("an empty value must leave the default")
	}
}

// FuzzBind: any text for any parameter type is either rejected with a ParamError or
// turned into a canonical value that binds to itself.
func FuzzBind(f *testing.F) {
	for _, v := range []string{"2026-11-05", "2026-11-05T10:00:00+02:00", "7", "-1", "0.9", "1e308", "NaN", "ana", "\xff"} {
		f.Add(v)
	}
	r := &Report{Name: "fuzz", Params: []Param{
		{Name: "d", Type: "DATE"}, {Name: "t", Type: "TIMESTAMPTZ"}, {Name: "i", Type: "INTEGER"},
		{Name: "f", Type: "DOUBLE"}, {Name: "s", Type: "VARCHAR"},
	}}
	f.Fuzz(func(t *testing.T, v string) {
		for _, p := range r.Params {
			got, err := r.Bind(map[string]string{p.Name: v})
			if err != nil {
				var perr *ParamError
				if !errors.As(err, &perr) || perr.Param != p.Name {
					t.Fatalf("%s %q: error %v does not name the parameter", p.Type, v, err)
				}
				continue
			}
			c, ok := got[p.Name]
			if !ok {
				continue // blank: the default
			}
			again, err := r.Bind(map[string]string{p.Name: c})
			if err != nil || again[p.Name] != c {
				t.Fatalf("%s %q: canonical %q rebinds to %q, %v", p.Type, v, c, again[p.Name], err)
			}
		}
	})
}
