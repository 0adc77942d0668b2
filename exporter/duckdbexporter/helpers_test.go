package duckdbexporter

import (
	"context"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
	"github.com/aiusage/aiusage/internal/schema/schematest"
)

// testConfig is the default configuration on a fresh file, with a small footprint
// and no sending queue, so that a push has landed when it returns.
func testConfig(t testing.TB) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Path = filepath.Join(t.TempDir(), "usage.duckdb")
	cfg.MemoryLimit = "256MB"
	cfg.Threads = 1
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return cfg
}

// migrateFile creates the schema in the file at path, runs then on it and closes it,
// for an exporter to open.
func migrateFile(t testing.TB, path string, then ...string) {
	t.Helper()
	db := schematest.Open(t, path)
	for _, q := range then {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// startExporter starts the shared exporter state directly, so a test can push batches
// and read the database through the same handle.
func startExporter(t testing.TB, cfg *Config) *duckdbExporter {
	t.Helper()
	e := newExporter(cfg, exportertest.NewNopSettings(metadata.Type), func() {})
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return e
}

// queryStrings runs q and returns its single column as text, NULL as "NULL".
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if s.Valid {
			out = append(out, s.String)
		} else {
			out = append(out, "NULL")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func exportertestSettings() exporter.Settings { return exportertest.NewNopSettings(metadata.Type) }

func sortStrings(s []string) { slices.Sort(s) }

// startWithTelemetry starts an exporter whose own metrics tel collects.
func startWithTelemetry(t *testing.T) (*componenttest.Telemetry, *duckdbExporter) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e := newExporter(testConfig(t), set, func() {})
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.shutdown(context.Background()) })
	return tel, e
}

// counterPoints reads one of the exporter's counters by its attributes, keyed
// "outcome", "outcome/reason" or "limit"; a counter never added to reads empty.
func counterPoints(t *testing.T, tel *componenttest.Telemetry, m selfMetric) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	got, err := tel.GetMetric(m.name)
	if err != nil {
		return out
	}
	sum, ok := got.Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic || got.Unit != m.unit || got.Description != m.description {
		t.Fatalf("%s is %T %+v, not the monotonic sum %+v", m.name, got.Data, got, m)
	}
	for _, p := range sum.DataPoints {
		var parts []string
		for _, k := range []attribute.Key{outcomeKey, reasonKey, limitKey} {
			if v, ok := p.Attributes.Value(k); ok {
				parts = append(parts, v.AsString())
			}
		}
		out[strings.Join(parts, "/")] += p.Value
	}
	return out
}

// testLimits are the default attribute_limits.
var testLimits = createDefaultConfig().(*Config).AttributeLimits.limits()

// convertedTraces is every row a push of a batch would append, built up front.
type convertedTraces struct {
	rows  []usageRow
	stats batchStats
}

// convertTraces builds the rows of td as a push does, without a database: tests read
// them, and the raw Appender baseline appends them.
func convertTraces(td ptrace.Traces) convertedTraces { return convertTracesAt(td, time.Now()) }

// convertTracesAt is convertTraces for a batch that arrives at now.
func convertTracesAt(td ptrace.Traces, now time.Time) convertedTraces {
	b := collectSpans(td, newTimeWindow(now), testLimits)
	var rows []usageRow
	b.eachRow(nil, func(r *usageRow) error {
		rows = append(rows, *r)
		return nil
	})
	return convertedTraces{rows: rows, stats: b.stats}
}

func spanIDString(id pcommon.SpanID) string { return hex.EncodeToString(id[:]) }
