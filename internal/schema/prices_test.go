package schema_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/internal/schema/schematest"
)

func openMigrated(t *testing.T) *sql.DB {
	return schematest.Open(t, filepath.Join(t.TempDir(), "usage.duckdb"))
}

// readPrices reads model_prices back into Prices, in a stable order.
func readPrices(t *testing.T, db *sql.DB) []pricing.Price {
	t.Helper()
	rows, err := db.Query(`SELECT provider, model, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok,
	    min_input_tokens, effective_from, effective_to, source
	    FROM model_prices ORDER BY provider, model, min_input_tokens, effective_from`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []pricing.Price
	for rows.Next() {
		var p pricing.Price
		var cached sql.NullFloat64
		var to sql.NullTime
		var source sql.NullString
		if err := rows.Scan(&p.Provider, &p.Model, &p.InputPerMTok, &p.OutputPerMTok, &cached,
			&p.MinInputTokens, &p.EffectiveFrom, &to, &source); err != nil {
			t.Fatal(err)
		}
		p.CachedInputPerMTok, p.HasCachedInput = cached.Float64, cached.Valid
		p.EffectiveFrom = p.EffectiveFrom.UTC()
		if to.Valid {
			p.EffectiveTo = to.Time.UTC()
		}
		p.Source = source.String
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustParse(t *testing.T, csv string) []pricing.Price {
	t.Helper()
	table, err := pricing.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return table.Prices()
}

const pricesHeader = "provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,min_input_tokens,effective_from,effective_to,source\n"

func TestReplacePricesRoundTrips(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)

	// Rows in the order readPrices sorts them, so the comparison is positional.
	want := mustParse(t, pricesHeader+
		"gcp.gemini,gemini-2.0-flash-0*,0.1,0.4,,0,2025-02-05,,glob\n"+
		"gcp.gemini,gemini-2.5-pro,1.25,10,,0,2025-06-17,,low tier\n"+
		"gcp.gemini,gemini-2.5-pro,2.5,15,,200001,2025-06-17,,high tier\n"+
		"groq,openai/gpt-oss-120b,0.2,0.7,0.1,0,2025-01-01,2025-08-05,closed period\n"+
		"groq,openai/gpt-oss-120b,0.15,0.6,0.075,0,2025-08-05,,\n")
	if err := schema.ReplacePrices(ctx, db, want); err != nil {
		t.Fatal(err)
	}
	got := readPrices(t, db)
	if len(got) != len(want) {
		t.Fatalf("model_prices has %d rows, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// NULLs where the contract says so.
	var nullCached, nullTo int
	if err := db.QueryRow(`SELECT count(*) FILTER (cached_input_usd_per_mtok IS NULL), count(*) FILTER (effective_to IS NULL) FROM model_prices`).Scan(&nullCached, &nullTo); err != nil {
		t.Fatal(err)
	}
	if nullCached != 3 || nullTo != 4 {
		t.Errorf("NULL cached prices %d (want 3), NULL effective_to %d (want 4)", nullCached, nullTo)
	}

	// Replacing again leaves exactly the new set.
	second := mustParse(t, pricesHeader+"groq,llama-3.1-8b-instant,0.05,0.08,,0,2024-07-23,,\n")
	if err := schema.ReplacePrices(ctx, db, second); err != nil {
		t.Fatal(err)
	}
	if got := readPrices(t, db); len(got) != 1 || got[0] != second[0] {
		t.Errorf("after second replace: %+v; want %+v", got, second)
	}
}

func TestReplacePricesEmbeddedTable(t *testing.T) {
	db := openMigrated(t)
	prices := pricing.Default().Prices()
	if err := schema.ReplacePrices(context.Background(), db, prices); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM model_prices`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(prices) {
		t.Errorf("model_prices has %d rows, want %d", n, len(prices))
	}
	// The reports price by SQL too: the Gemini 2.5 Pro high tier must come back intact.
	var in, out float64
	err := db.QueryRow(`SELECT input_usd_per_mtok, output_usd_per_mtok FROM model_prices
	    WHERE provider = 'gcp.gemini' AND model = 'gemini-2.5-pro' AND min_input_tokens = 200001`).Scan(&in, &out)
	if err != nil || in != 2.50 || out != 15.00 {
		t.Errorf("gemini-2.5-pro >200K tier: %v/%v, %v; want 2.5/15", in, out, err)
	}
}

// TestReplacePricesIsAtomic makes the insert fail halfway (a CHECK constraint on a
// hand-made model_prices) and expects the old rows untouched.
func TestReplacePricesIsAtomic(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "atomic.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// The real table's columns, plus a constraint only this test has.
	start := strings.Index(ms[0].SQL, "CREATE TABLE IF NOT EXISTS model_prices")
	end := start + strings.Index(ms[0].SQL[start:], ");")
	if start < 0 || end < start {
		t.Fatal("model_prices not found in the first migration")
	}
	ddl := ms[0].SQL[start:end] + ", CHECK (input_usd_per_mtok < 100))"
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	old := mustParse(t, pricesHeader+"groq,a,1,2,,0,2025-01-01,,old\n")
	if err := schema.ReplacePrices(ctx, db, old); err != nil {
		t.Fatal(err)
	}
	bad := mustParse(t, pricesHeader+"groq,b,1,2,,0,2025-01-01,,\ngroq,c,500,2,,0,2025-01-01,,\n")
	err = schema.ReplacePrices(ctx, db, bad)
	if err == nil || !strings.Contains(err.Error(), "insert groq c from 2025-01-01") {
		t.Fatalf("ReplacePrices with a rejected row: %v; want an error naming the row", err)
	}
	if got := readPrices(t, db); len(got) != 1 || got[0] != old[0] {
		t.Errorf("after failed replace: %+v; want the old rows %+v", got, old)
	}
}
