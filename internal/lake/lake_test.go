package lake

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/schema/schematest"
)

var (
	day1 = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
)

// source is a DuckDB file with the schema, standing in for a collector's.
func source(t *testing.T) *sql.DB {
	t.Helper()
	return schematest.Open(t, filepath.Join(t.TempDir(), "src.duckdb"))
}

func exec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// insertCalls adds calls numbered from..to-1 on day, each with 100 input tokens; the
// span id is the number, so two sources can hold the same call.
func insertCalls(t *testing.T, db *sql.DB, day time.Time, from, to int) {
	t.Helper()
	exec(t, db, `INSERT INTO ai_usage_log (trace_id, span_id, start_time, day, provider, request_model, response_model,
    user_id, input_tokens, output_tokens, cost_usd, cost_status, status_code, attributes)
SELECT 't' || i, 's' || i, TIMESTAMPTZ '`+day.Format(time.DateOnly)+` 10:00:00+00' + INTERVAL (i) SECOND, DATE '`+day.Format(time.DateOnly)+`',
       'groq', 'llama', 'llama', 'u' || (i % 3), 100, 10, 0.001, 'priced', 200, '{"k": 1}'::JSON
FROM range(`+itoa(from)+`, `+itoa(to)+`) AS r(i)`)
}

func itoa(i int) string { return strconv.Itoa(i) }

// writeRun archives the rows query selects of table as a run of writer: the files, then
// the manifest, as a collector does.
func writeRun(t *testing.T, db *sql.DB, root, writer, table string, day time.Time, query string, at time.Time) []Entry {
	t.Helper()
	ctx := context.Background()
	tb, ok := Lookup(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	staging := filepath.Join(root, StagingDir, writer)
	staged, _, err := CopyOut(ctx, db, tb, day, query, staging, writer)
	if err != nil {
		t.Fatal(err)
	}
	placed, err := Place(ctx, db, root, staged)
	if err != nil {
		t.Fatal(err)
	}
	run := NewID()
	for i := range placed {
		placed[i].Writer, placed[i].Run, placed[i].WrittenAt = writer, run, at
	}
	if _, err := WriteManifest(ctx, db, root, staging, placed); err != nil {
		t.Fatal(err)
	}
	return placed
}

func openLake(t *testing.T, root string) *Lake {
	t.Helper()
	l, err := Open(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func strings1(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

func TestViewsKeepEachRowOnceInTheSchemasShape(t *testing.T) {
	root := t.TempDir()
	a, b := source(t), source(t)
	insertCalls(t, a, day1, 0, 10)
	insertCalls(t, b, day1, 8, 12) // calls 8 and 9 reached both collectors
	insertCalls(t, a, day2, 100, 105)
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	writeRun(t, a, root, "gw-a", UsageLog, day1, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-24'`, at)
	writeRun(t, b, root, "gw-b", UsageLog, day1, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-24'`, at)
	writeRun(t, a, root, "gw-a", UsageLog, day2, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-25'`, at)
	// A quota reading whose remaining arrived later: the newer file's row wins.
	exec(t, a, `INSERT INTO ai_quota_snapshot VALUES (TIMESTAMPTZ '2026-11-24 10:00:00+00', 'svc', 'groq', 'llama', 'requests', '1d', 'header', 14400, NULL, NULL)`)
	writeRun(t, a, root, "gw-a", QuotaSnapshot, day1, `SELECT *, DATE '2026-11-24' AS day FROM ai_quota_snapshot`, at)
	exec(t, a, `UPDATE ai_quota_snapshot SET remaining = 14000`)
	writeRun(t, a, root, "gw-a", QuotaSnapshot, day1, `SELECT *, DATE '2026-11-24' AS day FROM ai_quota_snapshot`, at.Add(time.Hour))
	// Roll-up parts of one key add up.
	for _, db := range []*sql.DB{a, b} {
		exec(t, db, `INSERT INTO ai_usage_daily (day, provider, model, service_name, user_id, project_id, action_type, requests, errors, rate_limited, streamed, input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens, cost_usd, unpriced_requests, duration_s, last_seen) VALUES (DATE '2026-11-20', 'groq', 'llama', 'svc', 'u1', '', '', 3, 0, 0, 0, 300, 30, 0, 0, 0.003, 0, 1.5, TIMESTAMPTZ '2026-11-20 12:00:00+00')`)
		writeRun(t, db, root, "gw-"+map[*sql.DB]string{a: "a", b: "b"}[db], Daily, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			`SELECT * FROM ai_usage_daily`, at)
	}

	l := openLake(t, root)
	if got := strings1(t, l.DB, `SELECT count(*) || ' ' || count(DISTINCT span_id) || ' ' || sum(input_tokens) FROM ai_usage_log WHERE day = DATE '2026-11-24'`); got[0] != "12 12 1200" {
		t.Errorf("day 1 calls, distinct, tokens: %s; want 12 12 1200", got[0])
	}
	if got := strings1(t, l.DB, `SELECT count(*) FROM ai_usage_log`); got[0] != "17" {
		t.Errorf("calls %s, want 17", got[0])
	}
	if got := strings1(t, l.DB, `SELECT count(*) || ' ' || remaining FROM ai_quota_snapshot GROUP BY remaining`); !reflect.DeepEqual(got, []string{"1 14000.0"}) {
		t.Errorf("quota readings: %v, want the newer one only", got)
	}
	if got := strings1(t, l.DB, `SELECT requests || ' ' || input_tokens || ' ' || cost_usd FROM ai_usage_daily`); !reflect.DeepEqual(got, []string{"6 600 0.006"}) {
		t.Errorf("roll-up: %v, want the two parts added up", got)
	}
	// Each view has its table's columns, in order and typed, even without files.
	for _, table := range []string{UsageLog, QuotaSnapshot, "ai_metric_gauge", Daily, Prices} {
		want := strings1(t, l.DB, `SELECT column_name || ' ' || data_type FROM information_schema.columns
WHERE table_schema = 'lake_template' AND table_name = '`+table+`' ORDER BY ordinal_position`)
		got := strings1(t, l.DB, `SELECT column_name || ' ' || column_type FROM (DESCRIBE main.`+table+`)`)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("view %s has columns\n%v\nthe table has\n%v", table, got, want)
		}
	}
	if got := strings1(t, l.DB, `SELECT count(*) || ' ' || sum(row_count) FROM ai_archive_file`); got[0] != "7 23" {
		t.Errorf("ai_archive_file: %s, want the 7 files and their 23 rows", got[0])
	}
}

func TestViewsTakeNewerAndOlderFiles(t *testing.T) {
	root := t.TempDir()
	a := source(t)
	insertCalls(t, a, day1, 0, 3)
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	// A file from an older collector lacks a column; one from a newer collector has one
	// this schema does not know.
	writeRun(t, a, root, "gw-old", UsageLog, day1, `SELECT * EXCLUDE (reasoning_output_tokens, audio_input_tokens) FROM ai_usage_log WHERE span_id = 's0'`, at)
	writeRun(t, a, root, "gw-new", UsageLog, day1, `SELECT * REPLACE (7 AS audio_input_tokens), 1.5 AS hologram_seconds FROM ai_usage_log WHERE span_id <> 's0'`, at)
	l := openLake(t, root)
	if got := strings1(t, l.DB, `SELECT span_id || ' ' || coalesce(audio_input_tokens::VARCHAR, '-') || ' ' || coalesce(reasoning_output_tokens::VARCHAR, '-') FROM ai_usage_log ORDER BY span_id`); !reflect.DeepEqual(got, []string{"s0 - -", "s1 7 -", "s2 7 -"}) {
		t.Errorf("rows %v", got)
	}
}

func TestRefreshTakesInNewFiles(t *testing.T) {
	root := t.TempDir()
	a := source(t)
	insertCalls(t, a, day1, 0, 3)
	l := openLake(t, root)
	if got := strings1(t, l.DB, `SELECT count(*) FROM ai_usage_log`); got[0] != "0" {
		t.Fatalf("empty lake: %s calls", got[0])
	}
	writeRun(t, a, root, "gw-a", UsageLog, day1, `SELECT * FROM ai_usage_log`, time.Now())
	if err := l.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings1(t, l.DB, `SELECT count(*) FROM ai_usage_log`); got[0] != "3" {
		t.Errorf("after refresh: %s calls, want 3", got[0])
	}
}

func TestVerifyFindsEveryDifference(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a := source(t)
	insertCalls(t, a, day1, 0, 50)
	at := time.Now()
	var files []string
	for i := range 4 {
		placed := writeRun(t, a, root, "gw-a", UsageLog, day1,
			`SELECT * FROM ai_usage_log WHERE hash(span_id) % 4 = `+itoa(i), at)
		files = append(files, placed[0].File)
	}
	v, err := Verify(ctx, a, root, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Problems) != 0 || v.Files != 4 || v.Rows != 50 {
		t.Fatalf("a sound lake: %+v", v)
	}
	// One file truncated, one deleted, one with a byte flipped, and a file no manifest
	// lists.
	path := func(i int) string { return FilePath(root, files[i]) }
	if err := os.Truncate(path(0), 100); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path(1)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path(2))
	if err != nil {
		t.Fatal(err)
	}
	b[4] ^= 0xff // inside the first data page, not the footer
	if err := os.WriteFile(path(2), b, 0o644); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(root, UsageLog, DayDir(day1), "gw-b_"+NewID()+".parquet")
	if err := os.WriteFile(stray, []byte("PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err = Verify(ctx, a, root, true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range v.Problems {
		got[p.File] = append(got[p.File], p.Kind)
	}
	want := map[string][]string{
		files[0]: {ProblemSize, ProblemChecksum, ProblemUnreadable},
		files[1]: {ProblemMissing},
		files[2]: {ProblemChecksum},
		strings.TrimPrefix(filepath.ToSlash(stray), filepath.ToSlash(root)+"/"): {ProblemUnrecorded},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
}

func TestCompactMergesADayKeepingWhatReadersSee(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	a, b := source(t), source(t)
	insertCalls(t, a, day1, 0, 10)
	insertCalls(t, b, day1, 5, 15)
	insertCalls(t, a, day2, 100, 103)
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	writeRun(t, a, root, "gw-a", UsageLog, day1, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-24'`, at)
	writeRun(t, b, root, "gw-b", UsageLog, day1, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-24'`, at)
	writeRun(t, a, root, "gw-a", UsageLog, day2, `SELECT * FROM ai_usage_log WHERE day = DATE '2026-11-25'`, at)
	for _, db := range []*sql.DB{a, b} {
		exec(t, db, `INSERT INTO ai_usage_daily (day, provider, model, service_name, user_id, project_id, action_type, requests, errors, rate_limited, streamed, input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens, cost_usd, unpriced_requests, duration_s, last_seen) VALUES (DATE '2026-11-24', 'groq', 'llama', 'svc', 'u1', '', '', 3, 0, 0, 0, 300, 30, 0, 0, 0.003, 0, 1.5, TIMESTAMPTZ '2026-11-24 12:00:00+00')`)
		writeRun(t, db, root, "gw-x", Daily, day1, `SELECT * FROM ai_usage_daily`, at)
	}
	report := func() []string {
		l := openLake(t, root)
		return append(strings1(t, l.DB, `SELECT day || ' ' || count(*) || ' ' || sum(input_tokens) FROM ai_usage_log GROUP BY day ORDER BY day`),
			strings1(t, l.DB, `SELECT requests || ' ' || cost_usd FROM ai_usage_daily`)...)
	}
	before := report()

	done, err := Compact(ctx, a, root, nil, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 || done[0].Table != UsageLog || done[0].Files != 2 || done[0].Rows != 20 || done[0].Kept != 15 ||
		done[1].Table != Daily || done[1].Kept != 1 {
		t.Errorf("compacted %+v; want day 1's 2 call files (20 rows, 15 distinct) and its 2 roll-up parts", done)
	}
	if after := report(); !reflect.DeepEqual(after, before) {
		t.Errorf("readers see\n%v\nafter compaction, and before\n%v", after, before)
	}
	left, err := filepath.Glob(filepath.Join(root, UsageLog, DayDir(day1), "*.parquet"))
	if err != nil || len(left) != 1 || !strings.HasPrefix(filepath.Base(left[0]), CompactorID+"_") {
		t.Errorf("day 1's files after compaction: %v (%v)", left, err)
	}
	manifests, _ := filepath.Glob(filepath.Join(root, ManifestDir, DayDir(day1), "*.parquet"))
	if len(manifests) != 1 {
		t.Errorf("day 1's manifests after compaction: %v, want the compaction's only", manifests)
	}
	if v, err := Verify(ctx, a, root, true); err != nil || len(v.Problems) != 0 || len(v.Replaced) != 0 {
		t.Errorf("verify after compaction: %+v, %v", v, err)
	}

	// A late file arrives; compacting again merges it with the merged file.
	insertCalls(t, b, day1, 50, 52)
	writeRun(t, b, root, "gw-b", UsageLog, day1, `SELECT * FROM ai_usage_log WHERE span_id IN ('s50', 's51')`, at.Add(2*time.Hour))
	if _, err := Compact(ctx, a, root, []time.Time{day1}, at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	l := openLake(t, root)
	if got := strings1(t, l.DB, `SELECT count(*) FROM ai_usage_log WHERE day = DATE '2026-11-24'`); got[0] != "17" {
		t.Errorf("day 1 after the second compaction: %s calls, want 17", got[0])
	}
	if v, err := Verify(ctx, a, root, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify after the second compaction: %+v, %v", v, err)
	}
	entries, err := ReadManifest(ctx, a, root, day1)
	if err != nil {
		t.Fatal(err)
	}
	if live := Live(entries); len(live) != 2 || !slices.ContainsFunc(live, func(e Entry) bool { return len(e.Replaces) == 4 }) {
		t.Errorf("day 1's live entries %+v; want the merged calls (replacing all 4 call files so far) and roll-up", live)
	}
}

func TestCollectorIDs(t *testing.T) {
	for id, ok := range map[string]bool{"gateway-0": true, "gw.eu-1": true, "a": true, "gw_1": false, "": false,
		"-gw": false, CompactorID: false, strings.Repeat("a", 64): false} {
		if err := CheckCollectorID(id); (err == nil) != ok {
			t.Errorf("CheckCollectorID(%q) = %v", id, err)
		}
	}
	for file, want := range map[string]string{
		"ai_usage_log/day=2026-12-01/gw-1_0b6e.parquet": "gw-1",
		"compacted_x.parquet":                           CompactorID,
		"ai_usage_log/day=2026-12-01/noid.parquet":      "",
		"gw-1_x.json": "",
	} {
		if got := WriterOf(file); got != want {
			t.Errorf("WriterOf(%q) = %q, want %q", file, got, want)
		}
	}
}
