package duckdbexporter

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// dirBytes is the size of the files under dir.
func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fileBytes is the DuckDB file's size with its write-ahead log.
func fileBytes(t testing.TB, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + ".wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// TestNinetyDaysOfArchiveAndRetentionKeepTheFileBounded runs 90 simulated days of a
// collector archiving into a lake with a week of retention: each day's calls and
// metric points arrive, the day is sealed and archived, retention deletes what the lake
// holds beyond the week. The DuckDB file must stop growing once retention deletes as
// much as arrives, while the lake holds every call once.
func TestNinetyDaysOfArchiveAndRetentionKeepTheFileBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("90 simulated days")
	}
	const (
		days        = 90
		callsPerDay = benchBatch
	)
	ctx := context.Background()
	first := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := &testClock{t: first}
	cfg := archiveConfig(t, "gw-1")
	cfg.Retention = 7 * 24 * time.Hour // applied below, each simulated day
	e := startArchiving(t, cfg, clock)
	td := benchTraces()
	var at15, largest int64 // the file's size on day 15, and its largest after
	for d := range days {
		day := first.AddDate(0, 0, d)
		clock.set(day.Add(23 * time.Hour))
		for b := range callsPerDay / benchBatch {
			restamp(td, uint64(d*callsPerDay+b*benchBatch), day.Add(time.Duration(b)*time.Hour), 5*time.Millisecond)
			if err := e.pushTraces(ctx, td); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.pushMetrics(ctx, buildMetrics(day.Add(12*time.Hour))); err != nil {
			t.Fatal(err)
		}
		next := day.AddDate(0, 0, 1).Add(2 * time.Hour) // the day is sealed
		pass(t, e, clock, next)
		if _, err := e.applyRetention(ctx, next); err != nil {
			t.Fatal(err)
		}
		size := fileBytes(t, cfg.Path)
		if d == 14 {
			at15 = size
		}
		if d >= 14 {
			largest = max(largest, size)
		}
		if d%10 == 9 || d == days-1 {
			t.Logf("day %2d: DuckDB file %s holding %7d calls; lake %s holding %7d calls", d+1, mib(size),
				queryInt(t, e.db, "SELECT count(*) FROM ai_usage_log"), mib(dirBytes(t, cfg.Archive.Directory)),
				queryInt(t, e.db, "SELECT sum(row_count) FROM ai_archive_file WHERE table_name = 'ai_usage_log'"))
		}
	}
	if kept := queryInt(t, e.db, "SELECT count(DISTINCT day) FROM ai_usage_log"); kept > 8 {
		t.Errorf("DuckDB keeps %d days of calls, want the week of retention", kept)
	}
	spans := lakeSpans(t, cfg.Archive.Directory)
	if len(spans) != days*callsPerDay {
		t.Errorf("the lake holds %d calls, want all %d", len(spans), days*callsPerDay)
	}
	for id, n := range spans {
		if n != 1 {
			t.Fatalf("span %s is in the lake %d times", id, n)
		}
	}
	// Once retention deletes a day a day (from day 8), the file reuses the blocks it
	// frees: from the third week on it grows no more than free-block slack.
	t.Logf("DuckDB file (with its log) %s on day 15, at most %s from then to day 90", mib(at15), mib(largest))
	if float64(largest) > 1.25*float64(at15) {
		t.Errorf("the DuckDB file grew to %s after %s on day 15: not bounded", mib(largest), mib(at15))
	}
}

// BenchmarkArchive fills a DuckDB file with AIUSAGE_BENCH_ARCHIVE_ROWS calls (default
// 1,000,000; docs/BENCHMARKS.md reports 10,000,000), a million a day on sealed days,
// varied as real traffic is (1,000 users, five models, token counts and response ids
// that differ per call), then archives them all in one pass while ingest goes on. It
// reports the archive's rows/s, the lake's size against the DuckDB file's, and ingest
// rows/s while the archive runs against ingest alone just before.
func BenchmarkArchive(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("AIUSAGE_BENCH_ARCHIVE_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < benchBatch {
			b.Fatalf("AIUSAGE_BENCH_ARCHIVE_ROWS=%q: want a number of at least %d", v, benchBatch)
		}
		rows = n
	}
	rows = (rows + benchBatch - 1) / benchBatch * benchBatch // whole batches
	for range b.N {
		benchmarkArchive(b, rows)
	}
}

func benchmarkArchive(b *testing.B, rows int) {
	const perDay = 1_000_000
	ctx := context.Background()
	first := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	days := (rows + perDay - 1) / perDay
	today := first.AddDate(0, 0, days)
	clock := &testClock{t: first}
	cfg := archiveConfig(b, "bench")
	cfg.MemoryLimit, cfg.Threads = "256MB", 0 // collector-config/config.yaml's
	e := startArchiving(b, cfg, clock)
	clock.set(today.Add(12 * time.Hour)) // the filled days are sealed, today is not
	td := benchTraces()

	fillStart := time.Now()
	for n := 0; n < rows; n += benchBatch {
		day := first.AddDate(0, 0, n/perDay)
		step := 24 * time.Hour / (perDay + benchBatch) // a day's last batch ends on the day
		restamp(td, uint64(n), day.Add(time.Duration(n%perDay)*step), step)
		vary(td, n)
		if err := e.pushTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	fill := time.Since(fillStart)
	if _, err := e.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	dbBytes := fileBytes(b, cfg.Path)

	// Ingest of today's calls, alone and then while the archive writes the filled days.
	next := uint64(rows)
	ingest := func(stop func() bool) float64 {
		start, pushed := time.Now(), 0
		for !stop() {
			restamp(td, next, today.Add(time.Duration(next-uint64(rows))*time.Millisecond), time.Millisecond)
			vary(td, int(next))
			if err := e.pushTraces(ctx, td); err != nil {
				b.Fatal(err)
			}
			next += benchBatch
			pushed += benchBatch
		}
		return float64(pushed) / time.Since(start).Seconds()
	}
	deadline := time.Now().Add(5 * time.Second)
	alone := ingest(func() bool { return time.Now().After(deadline) })

	var archived atomic.Bool
	archiveStart := time.Now()
	var archiveTime time.Duration
	var archiveErr error
	go func() {
		archiveErr = e.archive.pass(ctx)
		archiveTime = time.Since(archiveStart)
		archived.Store(true)
	}()
	during := ingest(archived.Load)
	if archiveErr != nil {
		b.Fatal(archiveErr)
	}
	lakeRows := queryInt(b, e.db, "SELECT sum(row_count) FROM ai_archive_file WHERE table_name = 'ai_usage_log'")
	if lakeRows != int64(rows) {
		b.Fatalf("the lake holds %d calls, want %d", lakeRows, rows)
	}
	lakeBytes := queryInt(b, e.db, "SELECT sum(bytes) FROM ai_archive_file WHERE table_name = 'ai_usage_log'")
	b.ReportMetric(float64(rows)/archiveTime.Seconds(), "archived_rows/s")
	b.ReportMetric(float64(lakeBytes)/(1<<20), "lake_MiB")
	b.ReportMetric(float64(dbBytes)/(1<<20), "duckdb_MiB")
	b.ReportMetric(alone, "ingest_rows/s_alone")
	b.ReportMetric(during, "ingest_rows/s_archiving")
	b.Logf("%d calls over %d days (filled at %.0f rows/s): archived in %s (%.0f rows/s) into %s of Parquet, from a DuckDB file of %s (%.2fx); "+
		"ingest %.0f rows/s alone, %.0f rows/s while archiving (%.2f)",
		rows, days, float64(rows)/fill.Seconds(), archiveTime.Round(time.Millisecond), float64(rows)/archiveTime.Seconds(),
		mib(lakeBytes), mib(dbBytes), float64(lakeBytes)/float64(dbBytes), alone, during, during/alone)
}

// vary gives the calls of td, the batch starting at call n, the variety of real
// traffic: their own token counts and response ids, 1,000 users, five models.
func vary(td ptrace.Traces, n int) {
	models := [...]string{"llama-3.1-8b-instant", "openai/gpt-oss-20b", "llama-3.3-70b-versatile", "gemini-2.5-flash", "gemini-2.0-flash"}
	i := n
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				h := uint64(i) * 0x9e3779b97f4a7c15
				a := sp.Attributes()
				a.PutInt(string(semconv.GenAIUsageInputTokens), int64(50+h%4000))
				a.PutInt(string(semconv.GenAIUsageOutputTokens), int64(10+(h>>16)%1500))
				a.PutStr(string(semconv.GenAIResponseID), "chatcmpl-"+strconv.FormatUint(h, 36))
				a.PutStr(string(semconv.UserID), "user-"+strconv.FormatUint((h>>24)%1000, 10))
				m := models[(h>>40)%uint64(len(models))]
				a.PutStr(string(semconv.GenAIRequestModel), m)
				a.PutStr(string(semconv.GenAIResponseModel), m)
				if strings.HasPrefix(m, "gemini") {
					a.PutStr(string(semconv.GenAIProviderName), semconv.ProviderGemini)
				} else {
					a.PutStr(string(semconv.GenAIProviderName), semconv.ProviderGroq)
				}
				a.PutDouble(string(semconv.CostUSD), float64(h%100000)/1e9)
				i++
			}
		}
	}
}
