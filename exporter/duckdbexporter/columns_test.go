package duckdbexporter

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/schema/schematest"
)

// contractDiff lists how a table differs from the column table want: a column
// missing, extra, out of order or of another type, or NOT NULL where the exporter may
// leave it empty.
func contractDiff(table []tableColumn, want []usageColumn) []string {
	var diff []string
	for i := range max(len(table), len(want)) {
		switch {
		case i >= len(table):
			diff = append(diff, fmt.Sprintf("column %d: the table lacks %s %s", i, want[i].name, want[i].kind.sqlType()))
		case i >= len(want):
			diff = append(diff, fmt.Sprintf("column %d: the column table lacks %s %s", i, table[i].name, table[i].sqlType))
		case table[i].name != want[i].name || table[i].sqlType != want[i].kind.sqlType():
			diff = append(diff, fmt.Sprintf("column %d: the table has %s %s, the column table %s %s", i,
				table[i].name, table[i].sqlType, want[i].name, want[i].kind.sqlType()))
		}
	}
	alwaysFilled := map[columnKind]bool{kindTraceID: true, kindSpanID: true, kindStartTime: true, kindDay: true, kindProvider: true}
	for i, c := range table {
		if c.notNull && (i >= len(want) || !alwaysFilled[want[i].kind]) {
			diff = append(diff, fmt.Sprintf("column %s is NOT NULL but the exporter may leave it empty", c.name))
		}
	}
	return diff
}

// TestUsageColumnsMatchTheSchema holds the column table against ai_usage_log as the
// migrations create it: the same columns, in the same order, of the same types, every
// NOT NULL column one the exporter always fills, and no attribute in two columns.
func TestUsageColumnsMatchTheSchema(t *testing.T) {
	cols, err := describe(context.Background(), schematest.Open(t, filepath.Join(t.TempDir(), "usage.duckdb")), "ai_usage_log")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range contractDiff(cols, usageColumns[:]) {
		t.Error(d)
	}
	var notNull []string
	for _, c := range cols {
		if c.notNull {
			notNull = append(notNull, c.name)
		}
	}
	if strings.Join(notNull, ",") != "trace_id,span_id,start_time,day,provider" {
		t.Errorf("NOT NULL columns read as %v", notNull)
	}
	attrs := map[string]string{}
	for _, c := range usageColumns {
		if c.attr == "" {
			continue
		}
		if other, dup := attrs[string(c.attr)]; dup {
			t.Errorf("attribute %s fills both %s and %s", c.attr, other, c.name)
		}
		attrs[string(c.attr)] = c.name
	}
}

// TestStartRefusesATableWithoutAColumn is the start-time check for schemas the exporter
// does not manage: a missing or retyped column names itself.
func TestStartRefusesATableWithoutAColumn(t *testing.T) {
	ctx := context.Background()
	for _, alter := range []string{
		"ALTER TABLE ai_usage_log DROP COLUMN quota_id",
		"ALTER TABLE ai_usage_log ALTER COLUMN input_tokens TYPE DOUBLE",
	} {
		cfg := testConfig(t)
		migrateFile(t, cfg.Path, alter)
		cfg.CreateSchema = false
		e := newExporter(cfg, exportertestSettings(), func() {})
		err := e.start(ctx, nil)
		if err == nil {
			e.shutdown(ctx)
			t.Fatalf("%s: start succeeded", alter)
		}
		t.Log(err)
		col := strings.Fields(alter)[5]
		if !strings.Contains(err.Error(), "ai_usage_log") || !strings.Contains(err.Error(), col) {
			t.Errorf("%s: error %q does not name the column", alter, err)
		}
	}
}

// TestANewColumnIsOneEntryAndOneMigration shows what a new BIGINT column takes: the
// migration that adds it breaks the contract until the column table has its entry,
// and nothing else.
func TestANewColumnIsOneEntryAndOneMigration(t *testing.T) {
	db := schematest.Open(t, filepath.Join(t.TempDir(), "usage.duckdb"))
	if _, err := db.Exec("ALTER TABLE ai_usage_log ADD COLUMN video_seconds DOUBLE"); err != nil {
		t.Fatal(err)
	}
	cols, err := describe(context.Background(), db, "ai_usage_log")
	if err != nil {
		t.Fatal(err)
	}
	diff := contractDiff(cols, usageColumns[:])
	if len(diff) != 1 || !strings.Contains(diff[0], "the column table lacks video_seconds DOUBLE") {
		t.Errorf("with the migration alone: %q", diff)
	}
	withEntry := append(usageColumns[:len(usageColumns):len(usageColumns)],
		usageColumn{"video_seconds", "aiusage.usage.video.seconds", kindSeconds, ""})
	if diff := contractDiff(cols, withEntry); len(diff) != 0 {
		t.Errorf("with the migration and the entry: %q", diff)
	}
}
