package schema_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/aiusage/aiusage/internal/schema"
)

func TestMigrateCreatesEveryTableOnceAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "usage.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if v, err := schema.Version(ctx, db); err != nil || v != 0 {
		t.Fatalf("empty database: version %d, %v; want 0, nil", v, err)
	}
	for i := 0; i < 2; i++ {
		v, err := schema.Migrate(ctx, db)
		if err != nil {
			t.Fatalf("migrate #%d: %v", i+1, err)
		}
		if v != schema.Latest() {
			t.Fatalf("migrate #%d: version %d, want %d", i+1, v, schema.Latest())
		}
	}
	var applied int
	if err := db.QueryRow(`SELECT count(*) FROM aiusage_schema_version`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	ms, _ := schema.Migrations()
	if applied != len(ms) {
		t.Errorf("%d migrations recorded, want %d (each once)", applied, len(ms))
	}
	for _, table := range []string{
		"ai_usage_log", "ai_quota_snapshot", "model_prices", "ai_usage_daily",
		"ai_metric_gauge", "ai_metric_sum", "ai_metric_histogram", "ai_metric_exponential_histogram", "ai_metric_summary",
		"budgets", "budget_crossings",
	} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: found %d, %v", table, n, err)
		}
	}
}
