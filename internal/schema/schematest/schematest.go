// Package schematest gives tests a DuckDB file that holds the aiusage schema.
package schematest

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/aiusage/aiusage/internal/schema"
)

// Open opens the DuckDB file at path, created if missing, with the schema migrated to
// the latest version. It is closed when the test ends, if the test has not closed it.
func Open(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate %s: %v", path, err)
	}
	return db
}
