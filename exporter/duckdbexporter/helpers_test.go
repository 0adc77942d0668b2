package duckdbexporter

import (
	"context"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
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

// startExporter starts the shared exporter state directly, so a test can push batches
// and read the database through the same handle.
func startExporter(t testing.TB, cfg *Config) *duckdbExporter {
	t.Helper()
	e := newExporter(cfg, exportertest.NewNopSettings(componentType), func() {})
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

func exportertestSettings() exporter.Settings { return exportertest.NewNopSettings(componentType) }

func sortStrings(s []string) { slices.Sort(s) }

type outcomePoint struct {
	outcome string
	value   int64
}

// sumPoints reads the points of an int64 counter by their outcome attribute.
func sumPoints(m metricdata.Metrics) []outcomePoint {
	var out []outcomePoint
	if s, ok := m.Data.(metricdata.Sum[int64]); ok {
		for _, p := range s.DataPoints {
			v, _ := p.Attributes.Value(outcomeKey)
			out = append(out, outcomePoint{v.AsString(), p.Value})
		}
	}
	return out
}

// convertedTraces is every row a push of a batch would append, built up front.
type convertedTraces struct {
	rows  []usageRow
	stats batchStats
}

// convertTraces builds the rows of td as a push does, without a database: tests read
// them, and the raw Appender baseline appends them.
func convertTraces(td ptrace.Traces) convertedTraces {
	b := collectSpans(td)
	var rows []usageRow
	b.eachRow(nil, func(r *usageRow) error {
		rows = append(rows, *r)
		return nil
	})
	return convertedTraces{rows: rows, stats: b.stats}
}

func spanIDString(id pcommon.SpanID) string { return hex.EncodeToString(id[:]) }
