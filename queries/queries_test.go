package queries

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	r, err := Lookup("users")
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Per-user usage: requests, tokens, cost by unit and tier, and last call per user over the last N days." {
		t.Errorf("title %q", r.Title)
	}
	if !strings.HasPrefix(r.Question, "who uses the models, how much, and what does it cost, on what and in which tier, for every user or one? Days whose raw rows") {
		t.Errorf("question %q", r.Question)
	}
	want := []Param{
		{Name: "days", Type: "INTEGER", Range: &Range{1, 36500}, Doc: "UTC days to cover, ending with to_day (default: 30)"},
		{Name: "to_day", Type: "DATE", Doc: "last UTC day, inclusive (default: today, UTC)"},
		{Name: "user_id", Type: "VARCHAR", Doc: "only this user.id (default: every user; '' is calls without one)"},
		{Name: "project_id", Type: "VARCHAR", Doc: "only calls of this aiusage.project.id (default: every project; '' is calls without one)"},
		{Name: "model", Type: "VARCHAR", Doc: "only calls of this model, response model else request model (default: every model)"},
	}
	if !reflect.DeepEqual(r.Params, want) {
		t.Errorf("params\n %+v\nwant\n %+v", r.Params, want)
	}
	rates, _ := Lookup("rates")
	limits, _ := rates.Param("limits")
	if limits.Shape != `[{"provider":"VARCHAR","model":"VARCHAR","rpm":"BIGINT","rpd":"BIGINT","tpm":"BIGINT"}]` ||
		!strings.HasPrefix(limits.Doc, "JSON list of limits, e.g. [{") || !strings.HasSuffix(limits.Doc, "(default: none)") {
		t.Errorf("limits: shape %s, doc %q (the indented line continues it)", limits.Shape, limits.Doc)
	}
	if c := r.Columns[len(r.Columns)-1]; c != (Column{"last_seen", "TIMESTAMPTZ", "the user's latest call"}) {
		t.Errorf("last column %+v", c)
	}
	if !r.ReadOnly() {
		t.Error("users is read-only")
	}
	if rr, _ := Lookup("retention"); rr.ReadOnly() || strings.Join(rr.Writes, ",") != "ai_usage_log,ai_quota_snapshot,ai_metric_gauge,ai_metric_sum,"+
		"ai_metric_histogram,ai_metric_exponential_histogram,ai_metric_summary,ai_archive_day" {
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
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   a  DATE  n\n--   a  DATE  n\n" + cols, "parameter a declared twice"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  INTEGER  1..7  n\n" + cols + "SELECT 1", "never reads getvariable('days')"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  INTEGER  n\n" + cols, "line 4: parameter days: an INTEGER declares its range"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  INTEGER  9..1  n\n" + cols, "range 9..1 is not min..max"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   days  INTEGER  0..2147483648  n\n" + cols, "is not min..max within INTEGER"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   f  DOUBLE  0..1  n\n" + cols, "a range applies to INTEGER parameters, not DOUBLE"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   l  VARCHAR  [{\"a\":\"BIGINT\"}]  n\n" + cols + "SELECT getvariable('l')", "is not the one the query passes to from_json"},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--   l  VARCHAR  [\"UUID\"]  n\n" + cols, `type "UUID" is not one of`},
		{"x", "-- t\n-- Question: q?\n-- Parameters:\n--     more text\n" + cols, "continues no entry"},
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
// turned into a canonical value that binds to itself, within the declared range or shape.
func FuzzBind(f *testing.F) {
	for _, v := range []string{"2026-11-05", "2026-11-05T10:00:00+02:00", "7", "-1", "0.9", "1e308", "NaN", "ana", "\xff",
		"2147483648", "0000-01-01T00:00:00+01:00", `[{"a":1,"b":"x"}]`, `[{"a":1.5}]`, `[null]`, `{"a":1}`} {
		f.Add(v)
	}
	r := &Report{Name: "fuzz", Params: []Param{
		{Name: "d", Type: "DATE"}, {Name: "t", Type: "TIMESTAMPTZ"}, {Name: "i", Type: "INTEGER", Range: &Range{-5, 400}},
		{Name: "n", Type: "INTEGER"}, {Name: "f", Type: "DOUBLE"}, {Name: "s", Type: "VARCHAR"},
		{Name: "j", Type: "VARCHAR", Shape: `[{"a":"BIGINT","b":"VARCHAR","c":"DOUBLE","d":"BOOLEAN"}]`},
	}}
	f.Fuzz(func(t *testing.T, v string) {
		for _, p := range r.Params {
			got, err := r.Bind(map[string]string{p.Name: v})
			if err != nil {
				var perr *ParamError
				if !errors.As(err, &perr) || perr.Param != p.Name {
					t.Fatalf("%s %q: error %v does not name the parameter", p.Type, v, err)
				}
				if len(err.Error()) > 400 {
					t.Fatalf("%s %q: error of %d bytes", p.Type, v, len(err.Error()))
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
			if p.Type == "INTEGER" {
				n, err := strconv.ParseInt(c, 10, 64)
				if rg := p.bounds(); err != nil || n < rg.Min || n > rg.Max {
					t.Fatalf("%s: %q accepted outside %s", p.Name, c, rg)
				}
			}
			if p.Shape != "" && !json.Valid([]byte(c)) {
				t.Fatalf("%s: %q accepted as JSON", p.Name, c)
			}
		}
	})
}
