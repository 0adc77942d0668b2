package schema_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/schema"
)

// TestFreeOperationsAreTheInstrumentations holds the reports' ai_free_operation macro to
// semconv.Unbilled, which decides on spans whether a call is billed: a span priced at 0
// must not become an unpriced call in the reports, nor the other way round.
func TestFreeOperationsAreTheInstrumentations(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{
		semconv.OperationChat, semconv.OperationGenerateContent, semconv.OperationEmbeddings,
		semconv.OperationCountTokens, semconv.OperationBatch, semconv.OperationCreateCache,
		semconv.OperationTranscription, semconv.OperationTranslation, semconv.OperationTextToSpeech,
		semconv.OperationLive, "", "unknown_operation",
	} {
		var free bool
		if err := db.QueryRowContext(ctx, `SELECT ai_free_operation(?)`, op).Scan(&free); err != nil {
			t.Fatalf("ai_free_operation(%q): %v", op, err)
		}
		if want := semconv.Unbilled(op); free != want {
			t.Errorf("ai_free_operation(%q) = %t, semconv.Unbilled = %t", op, free, want)
		}
	}
	var free bool
	if err := db.QueryRowContext(ctx, `SELECT ai_free_operation(NULL)`).Scan(&free); err != nil || free {
		t.Errorf("ai_free_operation(NULL) = %t, %v; want false", free, err)
	}
}
