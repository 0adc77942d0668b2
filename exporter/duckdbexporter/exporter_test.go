package duckdbexporter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/schema"
)

func TestStartMigratesAndLoadsPrices(t *testing.T) {
	cfg := testConfig(t)
	e := startExporter(t, cfg)
	if v, err := schema.Version(context.Background(), e.db); err != nil || v != schema.Latest() {
		t.Fatalf("schema version %d, %v; want %d", v, err, schema.Latest())
	}
	want := int64(len(pricing.Default().Prices()))
	if n := queryInt(t, e.db, "SELECT count(*) FROM model_prices"); n != want || want == 0 {
		t.Errorf("model_prices holds %d rows, want the %d embedded ones", n, want)
	}
}

func TestStartKeepsAnAnalystsPricesAndLoadsPricesFile(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	e := startExporter(t, cfg)
	// An analyst replaces the table (aiusage prices load) while no collector runs.
	mine := []pricing.Price{{Provider: "groq", Model: "my-model", Tier: "standard", Unit: pricing.InputTokens, USD: 1, Per: 1e6,
		EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err := schema.ReplacePrices(ctx, e.db, mine, schema.Origin{Kind: schema.OriginFile, Name: "mine.csv"}); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	e = startExporter(t, cfg)
	if got := queryStrings(t, e.db, "SELECT model FROM model_prices"); len(got) != 1 || got[0] != "my-model" {
		t.Errorf("a restart without prices_file changed the analyst's prices: %v", got)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// prices_file replaces whatever is there; a file in the older layout is read with a note.
	file := filepath.Join(t.TempDir(), "prices.csv")
	csv := "provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n" +
		"gcp.gemini,gemini-9,0.5,1.5,,0,2026-01-01,,test\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.PricesFile = file
	e = startExporter(t, cfg)
	if got := queryStrings(t, e.db, "SELECT provider || ' ' || model || ' ' || unit || ' ' || usd FROM model_prices ORDER BY unit"); strings.Join(got, ";") != "gcp.gemini gemini-9 input_tokens 0.5;gcp.gemini gemini-9 output_tokens 1.5" {
		t.Errorf("prices_file not loaded: %v", got)
	}
}

// TestStartRefreshesAnEarlierBuiltInTable: a release's corrected built-in prices replace
// the built-in table an earlier release loaded (and not an analyst's, above).
func TestStartRefreshesAnEarlierBuiltInTable(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	e := startExporter(t, cfg)
	old := []pricing.Price{{Provider: "groq", Model: "openai/gpt-oss-20b", Tier: "standard", Unit: pricing.InputTokens, USD: 0.05, Per: 1e6,
		EffectiveFrom: time.Date(2025, 8, 5, 0, 0, 0, 0, time.UTC)}}
	if err := schema.ReplacePrices(ctx, e.db, old, schema.Origin{Kind: schema.OriginBuiltin, Name: "prices.csv sha256:0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	e = startExporter(t, cfg)
	if n := queryInt(t, e.db, "SELECT count(*) FROM model_prices"); n != int64(len(pricing.Default().Prices())) {
		t.Errorf("model_prices holds %d rows after the upgrade, want the %d built-in ones", n, len(pricing.Default().Prices()))
	}
	if got := queryStrings(t, e.db, "SELECT name FROM model_prices_origin"); len(got) != 1 || got[0] != pricing.DefaultFingerprint() {
		t.Errorf("origin %v, want %s", got, pricing.DefaultFingerprint())
	}
}

func TestStartFailsClearly(t *testing.T) {
	ctx := context.Background()
	badPrices := filepath.Join(t.TempDir(), "prices.csv")
	if err := os.WriteFile(badPrices, []byte("provider,model\ngroq,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDuckDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDuckDB, []byte(strings.Repeat("not a database\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnlyDir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(readOnlyDir, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want []string
	}{
		{"missing directory", func(c *Config) { c.Path = filepath.Join(t.TempDir(), "nope", "usage.duckdb") },
			[]string{"nope/usage.duckdb", "directory"}},
		{"bad prices file", func(c *Config) { c.PricesFile = badPrices }, []string{"prices_file", badPrices}},
		{"unmigrated file with create_schema false", func(c *Config) { c.CreateSchema = false },
			[]string{"schema version 0", "create_schema: false"}},
		{"not a DuckDB file", func(c *Config) { c.Path = notDuckDB }, []string{notDuckDB}},
		{"a directory", func(c *Config) { c.Path = readOnlyDir }, []string{readOnlyDir}},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			edit func(*Config)
			want []string
		}{"unwritable directory", func(c *Config) { c.Path = filepath.Join(readOnlyDir, "usage.duckdb") },
			[]string{"ro/usage.duckdb"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.edit(cfg)
			e := newExporter(cfg, exportertest.NewNopSettings(metadata.Type), func() {})
			err := e.start(ctx, componenttest.NewNopHost())
			if err == nil {
				e.shutdown(ctx)
				t.Fatal("start succeeded")
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if err := e.shutdown(ctx); err != nil {
				t.Errorf("shutdown after a failed start: %v", err)
			}
		})
	}
}

func TestCreateSchemaFalseAcceptsAMigratedFile(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	migrateFile(t, cfg.Path)
	cfg.CreateSchema = false
	e := startExporter(t, cfg)
	if err := e.pushTraces(ctx, buildTraces(testSpan{n: 1, attrs: groqCall(), start: testStart})); err != nil {
		t.Fatal(err)
	}
}

func TestSecondExporterOnTheSamePathFails(t *testing.T) {
	cfg := testConfig(t)
	startExporter(t, cfg)
	other := *cfg
	e := newExporter(&other, exportertest.NewNopSettings(metadata.Type), func() {})
	err := e.start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "already written by exporter") {
		t.Fatalf("second exporter on %s: %v", cfg.Path, err)
	}
}

func TestRetentionDeletesWholeOldDaysAndKeepsTheRollup(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	e := startExporter(t, cfg)
	cfg.Retention = 30 * 24 * time.Hour // applied below, not by a retention loop
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	old := now.Add(-40 * 24 * time.Hour)
	edge := time.Date(2026, 10, 28, 0, 30, 0, 0, time.UTC) // on the cutoff day: kept whole
	spans := []testSpan{{n: 1, attrs: groqCall(), start: old}, {n: 2, attrs: groqCall(), start: edge},
		{n: 3, attrs: groqCall(), start: now}}
	if err := e.pushTraces(ctx, buildTraces(spans...)); err != nil {
		t.Fatal(err)
	}
	if err := e.pushMetrics(ctx, buildMetrics(old)); err != nil {
		t.Fatal(err)
	}
	if err := e.pushMetrics(ctx, buildMetrics(now)); err != nil {
		t.Fatal(err)
	}
	cutoff := cutoffDay(now.Add(time.Hour), 30*24*time.Hour)
	if got := cutoff.Format(time.DateOnly); got != "2026-10-28" {
		t.Fatalf("cutoff %s, want 2026-10-28", got)
	}
	deleted, err := e.applyRetention(ctx, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, e.db, "SELECT span_id FROM ai_usage_log ORDER BY start_time"); len(got) != 2 ||
		got[0] != spanIDString(spanID(2)) {
		t.Errorf("spans left: %v; want spans 2 and 3", got)
	}
	for _, table := range []string{"ai_quota_snapshot", "ai_metric_gauge", "ai_metric_sum", "ai_metric_histogram",
		"ai_metric_exponential_histogram", "ai_metric_summary"} {
		if n := queryInt(t, e.db, "SELECT count(*) FROM "+table+" WHERE time < '2026-10-28 00:00:00+00'::TIMESTAMPTZ"); n != 0 {
			t.Errorf("%s keeps %d old rows", table, n)
		}
		if n := queryInt(t, e.db, "SELECT count(*) FROM "+table); n == 0 {
			t.Errorf("%s lost its recent rows", table)
		}
	}
	if n := queryInt(t, e.db, "SELECT sum(requests) FROM ai_usage_daily"); n != 3 {
		t.Errorf("roll-up counts %d requests after retention, want all 3", n)
	}
	if deleted != 1+8 { // one span; gauge 3, sum, histogram, exp histogram, summary, snapshot
		t.Errorf("deleted %d rows, want 9", deleted)
	}

	// A call of a day already deleted arrives late: the roll-up counts it, and the next
	// pass deletes its raw row, since the roll-up counts at least the day's raw rows.
	if err := e.pushTraces(ctx, buildTraces(testSpan{n: 4, attrs: groqCall(), start: old.Add(time.Minute)})); err != nil {
		t.Fatal(err)
	}
	if deleted, err := e.applyRetention(ctx, now.Add(time.Hour)); err != nil || deleted != 1 {
		t.Errorf("late call: retention deleted %d rows, %v; want 1", deleted, err)
	}
	if n := queryInt(t, e.db, "SELECT sum(requests) FROM ai_usage_daily"); n != 4 {
		t.Errorf("roll-up counts %d requests, want 4", n)
	}

	// A day the roll-up does not count in full keeps its raw rows.
	if err := e.pushTraces(ctx, buildTraces(testSpan{n: 5, attrs: groqCall(), start: edge.Add(-24 * time.Hour)})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(ctx, "DELETE FROM ai_usage_daily WHERE day = '2026-10-27'"); err != nil {
		t.Fatal(err)
	}
	if deleted, err := e.applyRetention(ctx, now.Add(time.Hour)); err != nil || deleted != 0 {
		t.Errorf("day not rolled up: retention deleted %d rows, %v; want 0", deleted, err)
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_usage_log WHERE day = '2026-10-27'"); n != 1 {
		t.Errorf("the day not rolled up keeps %d raw rows, want 1", n)
	}
}

func TestOwnTelemetryCountsOutcomes(t *testing.T) {
	tel, e := startWithTelemetry(t)
	ctx := context.Background()
	td := buildTraces(
		testSpan{n: 1, attrs: with(groqCall(), string(semconv.GenAIUsageInputTokens), "12"), start: testStart},
		testSpan{n: 2, attrs: map[string]any{"http.request.method": "GET"}, start: testStart},
	)
	for range 2 {
		if err := e.pushTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	if got := counterPoints(t, tel, metricSpans); got[outcomeWritten] != 1 || got[outcomeDuplicate] != 1 || got[outcomeNotGenAI] != 2 {
		t.Errorf("span outcomes %v; want written 1, duplicate 1, not_genai 2", got)
	}
	if got := counterPoints(t, tel, metricValues); got[outcomeCoerced] != 1 {
		t.Errorf("value outcomes %v; want coerced 1 (the token count of the one span written)", got)
	}
	if err := e.pushMetrics(ctx, buildMetrics(testStart)); err != nil {
		t.Fatal(err)
	}
	if got := counterPoints(t, tel, metricPoints); got[outcomeWritten] != 7 || got[outcomeUnsupported] != 1 {
		t.Errorf("point outcomes %v; want written 7, unsupported 1", got)
	}
}

// TestRenamedTables writes into an operator-managed schema whose tables have other
// names: every statement must use the configured names.
func TestRenamedTables(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	tables := defaultTables()
	renames := map[*string]string{&tables.UsageLog: "calls", &tables.Daily: "calls_daily",
		&tables.QuotaSnapshot: "quota", &tables.MetricGauge: "gauges", &tables.MetricSum: "sums",
		&tables.MetricHistogram: "histograms", &tables.MetricExponentialHistogram: "exp_histograms",
		&tables.MetricSummary: "summaries"}
	var alters []string
	for field, name := range renames {
		alters = append(alters, fmt.Sprintf(`ALTER TABLE %s RENAME TO %s`, *field, name))
		*field = name
	}
	migrateFile(t, cfg.Path, alters...)
	cfg.CreateSchema = false
	cfg.Tables = tables
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	e := startExporter(t, cfg)
	old := testStart.Add(-60 * 24 * time.Hour)
	for _, at := range []time.Time{old, testStart} {
		if err := e.pushTraces(ctx, buildTraces(testSpan{n: uint64(at.Unix()), attrs: groqCall(), start: at})); err != nil {
			t.Fatal(err)
		}
		if err := e.pushMetrics(ctx, buildMetrics(at)); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]int64{"calls": 2, "calls_daily": 2, "quota": 2, "gauges": 6, "sums": 2,
		"histograms": 2, "exp_histograms": 2, "summaries": 2} {
		if n := queryInt(t, e.db, "SELECT count(*) FROM "+name); n != want {
			t.Errorf("%s: %d rows, want %d", name, n, want)
		}
	}
	cfg.Retention = 30 * 24 * time.Hour // applied here, not by a retention loop
	if _, err := e.applyRetention(ctx, testStart); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM calls"); n != 1 {
		t.Errorf("retention left %d calls, want 1", n)
	}
}

// TestCheckpointWaitsForAnotherWriter: retention's checkpoint meets a write transaction
// it does not exclude (as the budgets evaluator's) and succeeds once that one ends,
// where DuckDB alone refuses.
func TestCheckpointWaitsForAnotherWriter(t *testing.T) {
	ctx := context.Background()
	e := startExporter(t, testConfig(t))
	if _, err := e.db.ExecContext(ctx, "CREATE TABLE other_writer (x INTEGER); INSERT INTO other_writer VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{"BEGIN TRANSACTION", "UPDATE other_writer SET x = 2"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.ExecContext(ctx, "CHECKPOINT"); err == nil {
		t.Fatal("DuckDB checkpointed beside an open write transaction: nothing to wait for")
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = conn.ExecContext(ctx, "COMMIT")
	}()
	if err := e.checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint after the other writer committed: %v", err)
	}
}
