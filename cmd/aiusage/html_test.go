package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/queries"
)

// staticData is the part of the page's embedded answers this test reads.
type staticData struct {
	To      string                     `json:"to"`
	Days    int                        `json:"days"`
	AsOf    string                     `json:"as_of"`
	Results map[string]*queries.Result `json:"results"`
	Calls   []struct {
		ID, Report string
		Params     map[string]string
	} `json:"calls"`
}

var dataScript = regexp.MustCompile(`(?s)<script type="application/json" id="aiusage-data">(.*?)</script>`)

func TestReportHTML(t *testing.T) {
	dbPath := fixtureDB(t)
	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := runCLI("report", "html", "--db", dbPath, "--to", "2026-11-02", "--days", "7", "--out", out)
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+out) {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	t.Log(strings.TrimSpace(stdout))
	if !strings.Contains(s, "<title>aiusage: 2026-10-27 to 2026-11-02</title>") {
		t.Error("title does not name the range")
	}
	m := dataScript.FindStringSubmatch(s)
	if m == nil {
		t.Fatal("the page holds no answers")
	}
	var data staticData
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatal(err)
	}
	if data.To != "2026-11-02" || data.Days != 7 || data.AsOf != "2026-11-02T23:59:59Z" {
		t.Errorf("range %s, %d days, as of %s", data.To, data.Days, data.AsOf)
	}

	// Every answer is the report's own, run with the parameters the page records.
	db, err := sql.Open("duckdb", dbPath+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []string
	for _, c := range data.Calls {
		ids = append(ids, c.ID)
		r, err := queries.Lookup(c.Report)
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.Run(context.Background(), db, c.Params)
		if err != nil {
			t.Fatal(err)
		}
		got := data.Results[c.ID]
		wantJSON, _ := json.Marshal(want)
		var wantBack queries.Result
		_ = json.Unmarshal(wantJSON, &wantBack)
		if got == nil || !reflect.DeepEqual(got.Rows, wantBack.Rows) {
			t.Errorf("%s (%v): the page holds %v, the report answers %v", c.ID, c.Params, got, wantBack.Rows)
		}
	}
	if !reflect.DeepEqual(ids, []string{"quota", "daily", "cost", "users", "projects", "budgets", "anomalies"}) {
		t.Errorf("answers %v", ids)
	}
	if p := data.Calls[1].Params; p["from_day"] != "2026-10-27" || p["to_day"] != "2026-11-02" {
		t.Errorf("daily asked for %v", p)
	}

	// Without scripts, the same answers as text: the unpriced model apart, never free.
	if !regexp.MustCompile(`groq/compound-mini +standard +NULL +unpriced +1 +1 +500 +0 +50 +NULL`).MatchString(html.UnescapeString(s)) {
		t.Error("the page's text fallback does not list the unpriced model apart")
	}
	// Self-contained: nothing is fetched.
	for _, ref := range regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']?([^"' >]*)`).FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(ref[1], "data:") {
			t.Errorf("page refers outside itself: %q", ref[0])
		}
	}
	for _, bad := range []string{"@import", "url(http", "fetch('http", "<link rel=\"stylesheet\""} {
		if strings.Contains(s, bad) {
			t.Errorf("page refers outside itself: %q", bad)
		}
	}

	code, _, stderr = runCLI("report", "html", "--db", dbPath, "--to", "2026-11-31")
	if code != 1 || !strings.Contains(stderr, `--to: "2026-11-31" is not a date`) {
		t.Errorf("bad --to: exit %d %s", code, stderr)
	}
}
