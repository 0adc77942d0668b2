package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/duckdbfile/duckdbfiletest"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

func TestMain(m *testing.M) {
	duckdbfiletest.Serve() // for TestReportOnFileHeldByAnotherProcess
	os.Exit(m.Run())
}

// fixtureDB writes a DuckDB file holding the schema and queries/check/fixture.sql.
func fixtureDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aiusage.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile("../../queries/check/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(fixture)); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// The fixture's daily usage, worked out by hand from fixture.sql: on 2026-11-02 the
// Gemini 429 and the Groq 429 and 500 carry no response model, so they count under
// their request model, with no tokens and no cost.
const fixtureDailyCSV = `day,provider,model,requests,errors,rate_limited,streamed,input_tokens,output_tokens,cache_read_input_tokens,reasoning_output_tokens,cost_usd,unpriced_requests
2026-11-01,gcp.gemini,gemini-2.5-flash,1,0,0,1,2000,400,0,100,0.0016,0
2026-11-01,groq,llama-3.3-70b-versatile,1,0,0,0,1000,200,0,0,0.000748,0
2026-11-02,gcp.gemini,gemini-2.5-flash,2,1,1,0,3000,100,0,0,0.0015,0
2026-11-02,groq,groq/compound-mini,1,0,0,0,500,50,0,0,,1
2026-11-02,groq,llama-3.3-70b-versatile,2,2,1,1,0,0,0,0,0,0
`

func TestReportCommand(t *testing.T) {
	db := fixtureDB(t)
	noSchema := filepath.Join(t.TempDir(), "other.duckdb")
	if other, err := sql.Open("duckdb", noSchema); err != nil {
		t.Fatal(err)
	} else {
		other.Exec(`CREATE TABLE notes (x INTEGER)`) //nolint:errcheck // checked by the test below
		other.Close()
	}
	notDuckDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDuckDB, []byte("not a database\n"), 0o644) //nolint:errcheck

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout
		wantErr  string   // substring of stderr
	}{
		{"csv", []string{"report", "daily", "--db", db, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv"}, 0, []string{fixtureDailyCSV}, ""},
		{"table", []string{"report", "users", "--db", db, "--days", "2", "--to-day", "2026-11-02", "--user", "ana"}, 0,
			[]string{"user_id  requests  errors  input_tokens  output_tokens  total_tokens  avg_tokens_per_request  cost_usd  input_cost_usd  cached_input_cost_usd  output_cost_usd  other_cost_usd  standard_cost_usd  flex_cost_usd  priority_cost_usd  batch_cost_usd  provisioned_cost_usd  unpriced_requests  last_seen\n",
				"ana      3         1       4000          300            4300          1433.333333             0.002248  0.00179         0                      0.000458         0               0.002248           NULL           NULL               NULL            NULL                  0                  2026-11-02T10:00:40Z\n"}, ""},
		{"markdown", []string{"report", "rate_limited", "--db", db, "--as-of", "2026-11-02T12:00:00Z", "--format", "markdown"}, 0,
			[]string{"| provider | model | quota_id | error_type | requests | first_at | last_at | max_retry_after_s |\n| --- |",
				"| gcp.gemini | gemini-2.5-flash | GenerateRequestsPerDayPerProjectPerModel-FreeTier | RESOURCE_EXHAUSTED | 1 |",
				"| groq | llama-3.3-70b-versatile |  | rate_limit_exceeded | 1 | 2026-11-02T10:00:20Z | 2026-11-02T10:00:20Z | 300 |"}, ""},
		{"unpriced apart", []string{"report", "cost", "--db", db, "--as-of", "2026-11-02", "--format", "csv"}, 0,
			[]string{"groq,groq/compound-mini,standard,,unpriced,1,1,500,0,50,,,,,,,\n"}, ""},
		{"list", []string{"report", "list"}, 0, []string{"daily ", "rates ", "retention ", "(writes; --db only)"}, ""},
		{"unknown report", []string{"report", "dialy", "--db", db}, 1, nil, `unknown report "dialy" (known: anomalies, budgets, cost, cost_units, daily, prices,`},
		{"bad date", []string{"report", "daily", "--db", db, "--from", "2026-02-30"}, 1, nil, `--from-day: "2026-02-30" is not a date (want YYYY-MM-DD)`},
		{"bad number", []string{"report", "quota", "--db", db, "--threshold", "high"}, 1, nil, `--threshold: "high" is not a finite number`},
		{"unknown flag", []string{"report", "quota", "--db", db, "--user", "ana"}, 1, nil, "flag provided but not defined: -user"},
		{"malformed limits", []string{"report", "rates", "--db", db, "--limits", `[{"provider":`}, 1, nil, `--limits: "[{\"provider\":" is not JSON (unexpected end)`},
		{"malformed limits over server", []string{"report", "rates", "--server", "http://127.0.0.1:1", "--limits", `{`}, 1, nil, `--limits: "{" is not JSON`},
		{"a typo in limits", []string{"report", "rates", "--db", db, "--limits", `[{"provider":"groq","rmp":5}]`}, 1, nil, `at [0]: unknown key "rmp" (known: model, provider, rpd, rpm, tpm)`},
		{"days overflow", []string{"report", "quota", "--db", db, "--days", "2147483647"}, 1, nil, `--days: "2147483647" is out of range (want 1..36500)`},
		{"bad format", []string{"report", "daily", "--db", db, "--format", "xml"}, 1, nil, `--format: "xml" is not one of table, csv, json, markdown`},
		{"missing file", []string{"report", "daily", "--db", filepath.Join(t.TempDir(), "gone.duckdb")}, 1, nil, "gone.duckdb\": does not exist"},
		{"no schema", []string{"report", "daily", "--db", noSchema}, 1, nil, "holds no aiusage schema"},
		{"not duckdb", []string{"report", "daily", "--db", notDuckDB}, 1, nil, "open duckdb"},
		{"nowhere", []string{"report", "daily"}, 1, nil, "say where the data is: --db FILE"},
		{"both", []string{"report", "daily", "--db", db, "--server", "http://127.0.0.1:1"}, 1, nil, "give one of --db, --server and --lake"},
		{"writer over server", []string{"report", "retention", "--server", "http://127.0.0.1:1"}, 1, nil, "report retention changes the database"},
		{"stray argument", []string{"report", "daily", "--db", db, "2026-11-01"}, 1, nil, `unexpected argument "2026-11-01": parameters are flags (--from-day, --to-day, --user-id, --project-id, --model)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.wantErr)
			}
		})
	}

	// JSON carries the column types and typed cells.
	code, out, errOut := runCLI("report", "daily", "--db", db, "--from", "2026-11-02", "--to", "2026-11-02", "--format", "json")
	var res struct {
		Columns []queries.Column
		Rows    [][]any
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Rows) != 3 || res.Columns[3].Type != "BIGINT" || res.Rows[1][11] != nil {
		t.Errorf("json: exit %d, %s %s", code, out, errOut)
	}
}

func TestReportThroughServerMatchesFile(t *testing.T) {
	path := fixtureDB(t)
	db, err := openDB(context.Background(), path, true)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(queries.NewHandler(db, queries.DefaultLimits(), nil))
	defer srv.Close()
	defer db.Close()
	code, out, errOut := runCLI("report", "daily", "--server", srv.URL, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv")
	if code != 0 || out != fixtureDailyCSV {
		t.Errorf("over --server: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCLI("report", "daily", "--server", srv.URL, "--from", "2026-11-31")
	if code != 1 || !strings.Contains(errOut, `--from-day: "2026-11-31" is not a date`) {
		t.Errorf("bad date over --server: exit %d, %s", code, errOut)
	}
}

func TestReportFromBusyServer(t *testing.T) {
	db, err := openDB(context.Background(), fixtureDB(t), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reports := queries.NewHandler(db, queries.DefaultLimits(), nil)
	defer reports.Close()
	for _, tt := range []struct {
		name     string
		busy     int // answers 503 with Retry-After before the report
		wantCode int
		wantErr  string
	}{
		{"busy, then free", 2, 0, ""},
		{"busy for good", 100, 1, "503 Service Unavailable: all slots taken (still busy after 4 attempts; try again later)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests++; requests <= tt.busy {
					w.Header().Set("Retry-After", "0")
					queries.WriteError(w, http.StatusServiceUnavailable, errors.New("all slots taken"))
					return
				}
				reports.ServeHTTP(w, r)
			}))
			defer srv.Close()
			code, out, errOut := runCLI("report", "daily", "--server", srv.URL, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv")
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) || code == 0 && out != fixtureDailyCSV {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, %q", code, out, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestReportOnFileHeldByAnotherProcess(t *testing.T) {
	path := fixtureDB(t)
	pid := duckdbfiletest.Hold(t, path)
	code, _, errOut := runCLI("report", "daily", "--db", path)
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("locked by another process (PID %d", pid)) ||
		!strings.Contains(errOut, "most likely the collector's duckdb exporter") || !strings.Contains(errOut, "--server URL") {
		t.Errorf("exit %d, stderr %s", code, errOut)
	}
}

func TestWritingReports(t *testing.T) {
	db := fixtureDB(t)
	code, out, errOut := runCLI("report", "rollup", "--db", db, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv")
	if code != 0 || out != "day,requests,groups\n2026-11-01,2,2\n2026-11-02,5,5\n" {
		t.Errorf("rollup: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI("report", "retention", "--db", db, "--as-of", "2026-12-15", "--days", "30", "--format", "csv")
	if code != 0 || out != "cutoff,days_deleted,rows_deleted,snapshots_deleted,points_deleted,days_kept_not_rolled_up,days_kept_not_archived\n2026-11-15,2,7,2,0,,\n" {
		t.Errorf("retention: exit %d\n%s%s", code, out, errOut)
	}
	// The history survives in the roll-up.
	code, out, _ = runCLI("report", "daily", "--db", db, "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv")
	if code != 0 || out != fixtureDailyCSV {
		t.Errorf("daily after retention:\n%s", out)
	}
}
