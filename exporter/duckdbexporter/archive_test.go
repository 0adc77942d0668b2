package duckdbexporter

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/lake"
	"github.com/aiusage/aiusage/queries"
	"github.com/aiusage/aiusage/queries/queriestest"
)

// testClock is an exporter clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// archiveConfig is testConfig with an archive into a fresh lake directory as collector
// id; its loop runs only at start, the tests run passes themselves.
func archiveConfig(t testing.TB, id string) *Config {
	cfg := testConfig(t)
	cfg.Archive = ArchiveConfig{Directory: filepath.Join(t.TempDir(), "lake"), CollectorID: id,
		GracePeriod: time.Hour, Interval: time.Hour}
	return cfg
}

// startArchiving starts an exporter of cfg on clock and waits for its archive's start:
// recovery and a first pass.
func startArchiving(t testing.TB, cfg *Config, clock *testClock) *duckdbExporter {
	t.Helper()
	e := newExporter(cfg, exportertestSettings(), func() {})
	e.now = clock.now
	if err := e.start(context.Background(), nil); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	select {
	case <-e.archive.firstPass: // the loop's recovery and first pass, at the start clock
	case <-time.After(time.Minute):
		t.Fatal("the archive loop's first pass did not end within a minute")
	}
	return e
}

// pass runs an archive pass with the exporter's clock at now.
func pass(t testing.TB, e *duckdbExporter, clock *testClock, now time.Time) {
	t.Helper()
	clock.set(now)
	if err := e.archive.pass(context.Background()); err != nil {
		t.Fatalf("archive pass at %s: %v", now, err)
	}
}

// spansOn returns n Groq calls numbered from first, starting on day at one-minute steps.
func spansOn(day time.Time, first uint64, n int) []testSpan {
	out := make([]testSpan, n)
	for i := range out {
		start := day.Add(time.Duration(i) * time.Minute)
		out[i] = testSpan{n: first + uint64(i), attrs: groqCall(), start: start, end: start.Add(time.Second)}
	}
	return out
}

// lakeSpans counts the span ids the lake's data files hold (not deduplicated), from
// every file any manifest lists.
func lakeSpans(t testing.TB, root string) map[string]int {
	t.Helper()
	l, err := lake.Open(context.Background(), root, lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var files []string
	for _, e := range l.Live() {
		if e.Table == lake.UsageLog {
			files = append(files, e.File)
		}
	}
	out := map[string]int{}
	if len(files) == 0 {
		return out
	}
	for _, id := range queryStrings(t, l.DB, `SELECT span_id FROM read_parquet(`+lake.FilesList(root, files)+`)`) {
		out[id]++
	}
	return out
}

// reportRows runs a report over db.
func reportRows(t testing.TB, db *sql.DB, name string, args map[string]string) [][]any {
	t.Helper()
	rep, err := queries.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rep.Run(context.Background(), db, args)
	if err != nil {
		t.Fatalf("report %s: %v", name, err)
	}
	return res.Rows
}

// allReports are the read-only reports sameReports compares.
var allReports = []string{"daily", "users", "projects", "cost", "quota", "rate_limited", "rates", "prices", "spend"}

// sameReports checks that the reports named (all read-only ones when none) over the
// lake under root equal those over the exporter's file, for days up to the last sealed
// day.
func sameReports(t *testing.T, e *duckdbExporter, root string, lastSealed time.Time, names ...string) {
	t.Helper()
	l, err := lake.Open(context.Background(), root, lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	to := lastSealed.Format(time.DateOnly)
	end := lastSealed.Add(24*time.Hour - time.Second).Format(time.RFC3339)
	for _, c := range []struct {
		name string
		args map[string]string
	}{
		{"daily", map[string]string{"from_day": "2026-10-01", "to_day": to}},
		{"users", map[string]string{"days": "60", "to_day": to}},
		{"projects", map[string]string{"from_day": "2026-10-01", "to_day": to}},
		{"cost", map[string]string{"as_of": to}},
		{"quota", map[string]string{"as_of": end}},
		{"rate_limited", map[string]string{"as_of": end, "hours": "48"}},
		{"rates", map[string]string{"as_of": end}},
		{"prices", map[string]string{"in_force_on": to}},
	} {
		if len(names) == 0 {
			names = allReports
		}
		if !slices.Contains(names, c.name) {
			continue
		}
		want := reportRows(t, e.db, c.name, c.args)
		got := reportRows(t, l.DB, c.name, c.args)
		if !queriestest.SameRows(got, want) {
			t.Errorf("report %s %v over the lake:\n%v\nover the DuckDB file:\n%v", c.name, c.args, got, want)
		}
		if len(want) == 0 && c.name != "rate_limited" {
			t.Errorf("report %s is empty: the comparison proves nothing", c.name)
		}
	}
}

func TestArchiveWritesSealedDaysOnce(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2)
	clock := &testClock{t: day1}
	cfg := archiveConfig(t, "gw-1")
	e := startArchiving(t, cfg, clock)
	root := cfg.Archive.Directory

	clock.set(day3.Add(12 * time.Hour))
	var all []testSpan
	for i, d := range []time.Time{day1, day2, day3} {
		all = append(all, spansOn(d.Add(10*time.Hour), uint64(i*100), 30)...)
	}
	if err := e.pushTraces(ctx, buildTraces(all...)); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Time{day1, day2, day3} {
		if err := e.pushMetrics(ctx, buildMetrics(d.Add(11*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}

	// Day 2 ends at day3 00:00; with an hour of grace it is sealed from 01:00.
	pass(t, e, clock, day3.Add(59*time.Minute))
	if got := archivedDays(t, e); !reflect.DeepEqual(got, []string{"2026-11-24"}) {
		t.Errorf("days archived before day 2's grace ended: %v, want only 2026-11-24", got)
	}
	pass(t, e, clock, day3.Add(time.Hour))
	if got := archivedDays(t, e); !reflect.DeepEqual(got, []string{"2026-11-24", "2026-11-25"}) {
		t.Errorf("days archived: %v, want 2026-11-24 and 2026-11-25", got)
	}
	pass(t, e, clock, day3.Add(2*time.Hour)) // nothing new: no new files
	files := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file")

	// Every table of a sealed day has a file, laid out as the lake says.
	for _, table := range []string{"ai_usage_log", "ai_quota_snapshot", "ai_metric_gauge", "ai_metric_sum",
		"ai_metric_histogram", "ai_metric_exponential_histogram", "ai_metric_summary", "ai_usage_daily"} {
		got := queryStrings(t, e.db, "SELECT file FROM ai_archive_file WHERE table_name = ? ORDER BY day", table)
		if len(got) != 2 {
			t.Errorf("%s: files %v, want one for each of 2 days", table, got)
			continue
		}
		for i, d := range []string{"2026-11-24", "2026-11-25"} {
			prefix := table + "/day=" + d + "/gw-1_"
			if !strings.HasPrefix(got[i], prefix) || !strings.HasSuffix(got[i], ".parquet") {
				t.Errorf("%s: file %q, want %s<uuid>.parquet", table, got[i], prefix)
			}
			if _, err := os.Stat(filepath.Join(root, got[i])); err != nil {
				t.Error(err)
			}
		}
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file WHERE table_name = 'model_prices'"); n != 1 {
		t.Errorf("price tables archived: %d, want 1", n)
	}
	if again := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file"); again != files || files != 17 {
		t.Errorf("files: %d, then %d after a pass with nothing new; want 17 (8 tables x 2 days + prices) both times", files, again)
	}
	// Each file has its table's columns, typed as the table types them; the day is in
	// the path.
	for _, f := range queryStrings(t, e.db, "SELECT table_name || ' ' || file FROM ai_archive_file") {
		table, file, _ := strings.Cut(f, " ")
		want := queryStrings(t, e.db, `SELECT column_name || ' ' || data_type FROM information_schema.columns
WHERE table_name = ? AND column_name <> 'day' ORDER BY ordinal_position`, table)
		got := queryStrings(t, e.db, `SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet(`+
			lake.Quote(filepath.Join(root, file))+`, hive_partitioning = false))`)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s has columns\n%v\nthe table has\n%v", file, got, want)
		}
	}
	// The manifest in the lake says what DuckDB recorded.
	recorded := queryStrings(t, e.db, "SELECT file || ' ' || row_count || ' ' || checksum FROM ai_archive_file ORDER BY file")
	entries, err := lake.ReadManifest(ctx, e.db, root, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, en := range entries {
		listed = append(listed, en.File+" "+itoa(en.Rows)+" "+en.Checksum)
	}
	sort.Strings(listed)
	if !reflect.DeepEqual(listed, recorded) {
		t.Errorf("lake manifest:\n%v\nrecorded in DuckDB:\n%v", listed, recorded)
	}
	// Each call of the sealed days is in the lake once; today's are not.
	spans := lakeSpans(t, root)
	if len(spans) != 60 {
		t.Errorf("lake holds %d spans, want the 60 of the two sealed days", len(spans))
	}
	for id, n := range spans {
		if n != 1 {
			t.Errorf("span %s is in the lake %d times", id, n)
		}
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_day WHERE day = DATE '2026-11-26' AND table_name <> 'model_prices'"); n != 0 {
		t.Errorf("today has %d marks", n)
	}
	sameReports(t, e, root, day2)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// archivedDays lists the days of ai_usage_log marked archived.
func archivedDays(t testing.TB, e *duckdbExporter) []string {
	t.Helper()
	return queryStrings(t, e.db, "SELECT strftime(day, '%Y-%m-%d') FROM ai_archive_day WHERE table_name = 'ai_usage_log' ORDER BY day")
}

func TestLateRowsGoOutAsAnExtraFileOfTheirDay(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	clock := &testClock{t: day1}
	cfg := archiveConfig(t, "gw-1")
	e := startArchiving(t, cfg, clock)
	root := cfg.Archive.Directory
	clock.set(day1.Add(26 * time.Hour))
	if err := e.pushTraces(ctx, buildTraces(spansOn(day1.Add(9*time.Hour), 0, 20)...)); err != nil {
		t.Fatal(err)
	}
	if err := e.pushMetrics(ctx, buildMetrics(day1.Add(9*time.Hour))); err != nil {
		t.Fatal(err)
	}
	pass(t, e, clock, day1.Add(26*time.Hour))
	first := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file WHERE table_name = 'ai_usage_log'")

	// The queue replays a batch after the day was archived: a span already stored,
	// with five new ones of the same day, and a quota reading that completes one.
	late := append(spansOn(day1.Add(9*time.Hour), 0, 1), spansOn(day1.Add(20*time.Hour), 100, 5)...)
	if err := e.pushTraces(ctx, buildTraces(late...)); err != nil {
		t.Fatal(err)
	}
	if err := e.pushMetrics(ctx, buildMetrics(day1.Add(21*time.Hour))); err != nil {
		t.Fatal(err)
	}
	pass(t, e, clock, day1.Add(27*time.Hour))
	files := queryStrings(t, e.db, "SELECT row_count::VARCHAR FROM ai_archive_file WHERE table_name = 'ai_usage_log' ORDER BY written_at")
	if first != 1 || !reflect.DeepEqual(files, []string{"20", "5"}) {
		t.Errorf("ai_usage_log files of the day hold %v rows (first pass: %d files); want 20, then an extra file of the 5 late calls", files, first)
	}
	for id, n := range lakeSpans(t, root) {
		if n != 1 {
			t.Errorf("span %s is in the lake %d times", id, n)
		}
	}
	if got := len(lakeSpans(t, root)); got != 25 {
		t.Errorf("lake holds %d calls, want 25", got)
	}
	// The extra roll-up file counts only the late calls: the day adds up.
	if n := queryInt(t, e.db, "SELECT sum(row_count) FROM ai_archive_file WHERE table_name = 'ai_quota_snapshot'"); n != 2 {
		t.Errorf("quota snapshot rows archived: %d, want the reading of day 1 and the late one", n)
	}
	sameReports(t, e, root, day1)
	pass(t, e, clock, day1.Add(28*time.Hour))
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file"); n != int64(queryInt(t, e.db, "SELECT count(DISTINCT file) FROM ai_archive_file")) || n == 0 {
		t.Errorf("files recorded twice")
	}
}

func TestRetentionDeletesOnlyWhatTheLakeHolds(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	clock := &testClock{t: day1}
	cfg := archiveConfig(t, "gw-1")
	cfg.Retention = 48 * time.Hour // applied below, not by the loop
	e := startArchiving(t, cfg, clock)
	now := day1.AddDate(0, 0, 4).Add(12 * time.Hour) // day 5; the cutoff is day 3
	clock.set(now)
	for i := range 5 {
		d := day1.AddDate(0, 0, i).Add(8 * time.Hour)
		if err := e.pushTraces(ctx, buildTraces(spansOn(d, uint64(i*100), 10)...)); err != nil {
			t.Fatal(err)
		}
		if err := e.pushMetrics(ctx, buildMetrics(d)); err != nil {
			t.Fatal(err)
		}
	}
	if deleted, err := e.applyRetention(ctx, now); err != nil || deleted != 0 {
		t.Fatalf("retention before the archive deleted %d rows (%v), want none", deleted, err)
	}
	pass(t, e, clock, now)
	deleted, err := e.applyRetention(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, e.db, "SELECT DISTINCT strftime(day, '%Y-%m-%d') FROM ai_usage_log ORDER BY 1"); !reflect.DeepEqual(got,
		[]string{"2026-11-22", "2026-11-23", "2026-11-24"}) {
		t.Errorf("days left in DuckDB: %v, want from the cutoff on", got)
	}
	if deleted != 2*(10+8) {
		t.Errorf("deleted %d rows, want the 2 archived days' 10 calls and 8 metric rows each", deleted)
	}
	// A call of a deleted day arrives late: retention keeps it until the lake has it.
	if err := e.pushTraces(ctx, buildTraces(spansOn(day1.Add(23*time.Hour), 900, 1)...)); err != nil {
		t.Fatal(err)
	}
	if deleted, err := e.applyRetention(ctx, now); err != nil || deleted != 0 {
		t.Errorf("retention deleted %d rows (%v) of a late call the lake does not hold", deleted, err)
	}
	pass(t, e, clock, now)
	if deleted, err := e.applyRetention(ctx, now); err != nil || deleted != 1 {
		t.Errorf("retention deleted %d rows (%v) after the late call was archived, want 1", deleted, err)
	}
	if got := len(lakeSpans(t, cfg.Archive.Directory)); got != 41 {
		t.Errorf("lake holds %d calls, want the 40 of the 4 sealed days and the late one", got)
	}
	// Of the days the lake holds whole and DuckDB only in the roll-up, the reports that
	// read the roll-up agree.
	sameReports(t, e, cfg.Archive.Directory, day1.AddDate(0, 0, 1), "daily", "users", "projects")
}

func TestArchiveRecoversFromACrashAtEachStep(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	clock := &testClock{t: day1}
	cfg := archiveConfig(t, "gw-1")
	e := startArchiving(t, cfg, clock)
	root := cfg.Archive.Directory
	clock.set(day1.AddDate(0, 0, 3))
	for i := range 3 {
		if err := e.pushTraces(ctx, buildTraces(spansOn(day1.AddDate(0, 0, i).Add(time.Hour), uint64(i*100), 10)...)); err != nil {
			t.Fatal(err)
		}
	}

	// Day 1: the run's manifest is written, then the process dies before recording it.
	beforeRecord = func() error { return context.Canceled }
	t.Cleanup(func() { beforeRecord = nil })
	err := e.archive.pass(ctx)
	beforeRecord = nil
	if err == nil {
		t.Fatal("the interrupted pass succeeded")
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file WHERE table_name <> 'model_prices'"); n != 0 {
		t.Fatalf("%d files recorded by an interrupted run", n)
	}
	// Another collector's file that no manifest lists yet (it is writing it), and one of
	// ours that a crash left before its manifest.
	ours := filepath.Join(root, "ai_usage_log", "day=2026-11-25", "gw-1_"+lake.NewID()+".parquet")
	theirs := filepath.Join(root, "ai_usage_log", "day=2026-11-25", "gw-2_"+lake.NewID()+".parquet")
	for _, f := range []string{ours, theirs} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("PAR1 torn"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.archive.recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ours); !os.IsNotExist(err) {
		t.Errorf("our unlisted file survived recovery: %v", err)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("another collector's file was touched: %v", err)
	}
	if err := os.Remove(theirs); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_archive_file WHERE day = DATE '2026-11-24'"); n == 0 {
		t.Error("the run whose manifest was written was not adopted")
	}
	pass(t, e, clock, day1.AddDate(0, 0, 3).Add(2*time.Hour))
	spans := lakeSpans(t, root)
	for id, n := range spans {
		if n != 1 {
			t.Errorf("span %s is in the lake %d times", id, n)
		}
	}
	if len(spans) != 30 {
		t.Errorf("lake holds %d calls, want 30", len(spans))
	}
	if got := queryStrings(t, e.db, "SELECT count(*)::VARCHAR FROM ai_archive_file WHERE table_name = 'ai_usage_daily' GROUP BY day ORDER BY day"); !reflect.DeepEqual(got, []string{"1", "1", "1"}) {
		t.Errorf("roll-up files per day: %v, want one each", got)
	}
	sameReports(t, e, root, day1.AddDate(0, 0, 2))
}
