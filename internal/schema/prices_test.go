package schema_test

import (
	"context"
	"database/sql"
	"os"
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

func mustParse(t *testing.T, csv string) []pricing.Price {
	t.Helper()
	table, err := pricing.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return table.Prices()
}

const pricesHeader = "provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source\n"

var fileOrigin = schema.Origin{Kind: schema.OriginFile, Name: "test.csv"}

// TestReplacePricesRoundTrips stores rows and reads them back through LoadPrices: the
// same rows, NULLs where the layout says so.
func TestReplacePricesRoundTrips(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)
	want := mustParse(t, pricesHeader+
		"gcp.gemini,gemini-2.0-flash-0*,standard,0,input_tokens,0.1,1M,,2025-02-05,,2026-12-01,glob\n"+
		"gcp.gemini,gemini-2.5-pro,standard,200001,output_tokens,15,1M,,2025-06-17,,2026-12-01,high tier\n"+
		"gcp.gemini,gemini-3.5-flash,flex,0,input_tokens,0.75,1M,,2026-08-21,,,flex\n"+
		"groq,openai/gpt-oss-120b,standard,0,cache_read_input_tokens,0.075,1M,,2025-01-01,2025-08-05,,closed period\n"+
		"groq,whisper-large-v3,batch,0,audio_billed_seconds,0.0555,3600,10,2024-04-01,,2026-12-01,\n"+
		"groq,x,standard,0,web_search_queries,14,1K,,2024-04-01,,,\n")
	if err := schema.ReplacePrices(ctx, db, want, fileOrigin); err != nil {
		t.Fatal(err)
	}
	table, err := schema.LoadPrices(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	got := table.Prices()
	if len(got) != len(want) {
		t.Fatalf("model_prices has %d rows, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want { // LoadPrices orders by provider, model, tier, unit: as written here
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	var nullTo, nullChecked, nullMin int
	if err := db.QueryRow(`SELECT count(*) FILTER (effective_to IS NULL), count(*) FILTER (checked IS NULL),
	    count(*) FILTER (min_billed IS NULL) FROM model_prices`).Scan(&nullTo, &nullChecked, &nullMin); err != nil {
		t.Fatal(err)
	}
	if nullTo != 5 || nullChecked != 3 || nullMin != 5 {
		t.Errorf("NULL effective_to %d (want 5), checked %d (want 3), min_billed %d (want 5)", nullTo, nullChecked, nullMin)
	}
	if o, ok, err := schema.PricesOrigin(ctx, db); err != nil || !ok || o != fileOrigin {
		t.Errorf("PricesOrigin = %+v, %v, %v; want %+v", o, ok, err, fileOrigin)
	}

	// Replacing again leaves exactly the new set and origin.
	second := mustParse(t, pricesHeader+"groq,llama-3.1-8b-instant,,,input_tokens,0.05,1M,,2024-07-23,,,\n")
	builtin := schema.Origin{Kind: schema.OriginBuiltin, Name: pricing.DefaultFingerprint()}
	if err := schema.ReplacePrices(ctx, db, second, builtin); err != nil {
		t.Fatal(err)
	}
	if t2, err := schema.LoadPrices(ctx, db); err != nil || len(t2.Prices()) != 1 || t2.Prices()[0] != second[0] {
		t.Errorf("after second replace: %+v, %v; want %+v", t2, err, second)
	}
	if o, _, _ := schema.PricesOrigin(ctx, db); o != builtin {
		t.Errorf("origin after the second replace: %+v", o)
	}
}

func TestReplacePricesEmbeddedTable(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)
	prices := pricing.Default().Prices()
	if err := schema.ReplacePrices(ctx, db, prices, schema.Origin{Kind: schema.OriginBuiltin, Name: pricing.DefaultFingerprint()}); err != nil {
		t.Fatal(err)
	}
	table, err := schema.LoadPrices(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.Prices()); n != len(prices) {
		t.Errorf("model_prices has %d rows, want %d", n, len(prices))
	}
}

// TestReplacePricesIsAtomic makes the insert fail halfway (a CHECK constraint added to
// model_prices) and expects the old rows and origin untouched.
func TestReplacePricesIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)
	// DuckDB adds no CHECK to an existing table: the same columns, made anew with one.
	if _, err := db.ExecContext(ctx, `DROP TABLE model_prices;
		CREATE TABLE model_prices (provider VARCHAR, model VARCHAR, service_tier VARCHAR, min_input_tokens BIGINT,
		    unit VARCHAR, usd DOUBLE CHECK (usd < 100), per DOUBLE, min_billed DOUBLE, effective_from DATE,
		    effective_to DATE, checked DATE, source VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	old := mustParse(t, pricesHeader+"groq,a,,,input_tokens,1,1M,,2025-01-01,,,old\n")
	if err := schema.ReplacePrices(ctx, db, old, fileOrigin); err != nil {
		t.Fatal(err)
	}
	bad := mustParse(t, pricesHeader+"groq,b,,,input_tokens,1,1M,,2025-01-01,,,\ngroq,c,,,input_tokens,500,1M,,2025-01-01,,,\n")
	err := schema.ReplacePrices(ctx, db, bad, schema.Origin{Kind: schema.OriginFile, Name: "bad.csv"})
	if err == nil || !strings.Contains(err.Error(), "insert groq c standard input_tokens from 2025-01-01") {
		t.Fatalf("ReplacePrices with a rejected row: %v; want an error naming the row", err)
	}
	table, err := schema.LoadPrices(ctx, db)
	if err != nil || len(table.Prices()) != 1 || table.Prices()[0] != old[0] {
		t.Errorf("after failed replace: %+v, %v; want the old rows %+v", table, err, old)
	}
	if o, _, _ := schema.PricesOrigin(ctx, db); o != fileOrigin {
		t.Errorf("origin after failed replace: %+v", o)
	}
}

// TestMigrationDropsTheShippedTableAndKeepsAnAnalysts runs migration 0005 over a
// version-4 model_prices: the table aiusage shipped (with its wrong gpt-oss-20b price) is
// dropped, for the exporter to fill the current one; any other becomes per-unit rows.
func TestMigrationDropsTheShippedTableAndKeepsAnAnalysts(t *testing.T) {
	ctx := context.Background()
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	shipped := "INSERT INTO model_prices VALUES " + shippedV1Rows
	for _, c := range []struct {
		name, rows string
		want       []string // provider model unit usd, sorted
		origin     string
	}{
		{"the table aiusage shipped", shipped, nil, ""},
		{"an analyst's table", `INSERT INTO model_prices VALUES
		    ('groq', 'openai/gpt-oss-20b', 0.075, 0.30, 0.0375, 0, DATE '2025-08-05', NULL, 'mine'),
		    ('gcp.gemini', 'gemini-2.5-pro', 2.50, 15.00, NULL, 200001, DATE '2025-06-17', NULL, 'mine')`,
			[]string{"gcp.gemini gemini-2.5-pro 200001 input_tokens 2.5", "gcp.gemini gemini-2.5-pro 200001 output_tokens 15.0",
				"groq openai/gpt-oss-20b 0 cache_read_input_tokens 0.0375", "groq openai/gpt-oss-20b 0 input_tokens 0.075",
				"groq openai/gpt-oss-20b 0 output_tokens 0.3"}, schema.OriginMigrated},
		{"the shipped table with a row changed", strings.Replace(shipped, "0.05, 0.08, NULL, 0, DATE '2025-08-05'", "0.075, 0.30, NULL, 0, DATE '2025-08-05'", 1),
			nil, schema.OriginMigrated},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "v2.duckdb"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, m := range ms[:3] {
				if _, err := db.ExecContext(ctx, m.SQL); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, c.rows); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, ms[3].SQL); err != nil {
				t.Fatalf("migration 0005: %v", err)
			}
			got := queryStrings(t, db, `SELECT provider || ' ' || model || ' ' || min_input_tokens || ' ' || unit || ' ' || usd FROM model_prices ORDER BY ALL`)
			if c.want != nil && strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("model_prices after 0005:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.origin == "" && len(got) != 0 {
				t.Errorf("the shipped table was carried over: %v", got)
			}
			if c.origin != "" && len(got) == 0 {
				t.Error("an analyst's table was dropped")
			}
			if o := queryStrings(t, db, `SELECT origin FROM model_prices_origin`); strings.Join(o, ",") != c.origin {
				t.Errorf("origin %v, want %q", o, c.origin)
			}
		})
	}
}

// shippedV1Rows are the rows of the table aiusage shipped before migration 0005.
const shippedV1Rows = `
    ('groq', 'openai/gpt-oss-120b', 0.15, 0.60, 0.075, 0, DATE '2025-08-05', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'openai/gpt-oss-20b', 0.05, 0.08, NULL, 0, DATE '2025-08-05', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'llama-3.1-8b-instant', 0.05, 0.08, NULL, 0, DATE '2024-07-23', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'llama-3.3-70b-versatile', 0.59, 0.79, NULL, 0, DATE '2024-12-06', NULL, 'groq.com/pricing (checked 2026-11; reported decommissioned 2026-08)'),
    ('gcp.gemini', 'gemini-2.5-flash', 0.30, 2.50, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.5-flash-preview-*', 0.30, 2.50, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.5-pro', 1.25, 10.00, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11; prompts up to 200K tokens)'),
    ('gcp.gemini', 'gemini-2.5-pro', 2.50, 15.00, NULL, 200001, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11; prompts over 200K tokens)'),
    ('gcp.gemini', 'gemini-2.0-flash', 0.10, 0.40, NULL, 0, DATE '2025-02-05', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.0-flash-0*', 0.10, 0.40, NULL, 0, DATE '2025-02-05', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-1.5-flash', 0.075, 0.30, NULL, 0, DATE '2024-05-14', NULL, 'ai.google.dev/gemini-api/docs/pricing (retired)'),
    ('gcp.gemini', 'gemini-1.5-flash-0*', 0.075, 0.30, NULL, 0, DATE '2024-05-14', NULL, 'ai.google.dev/gemini-api/docs/pricing (retired)')`

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestGlobMatchesDuckDB runs the glob cases of the pricing package through DuckDB's
// GLOB, which the reports match model_prices with: both must pick the same rows.
func TestGlobMatchesDuckDB(t *testing.T) {
	data, err := os.ReadFile("../../instrumentation/pricing/testdata/globs.csv")
	if err != nil {
		t.Fatal(err)
	}
	db := openMigrated(t)
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "pattern,") {
			continue
		}
		f := strings.Split(line, ",")
		var got bool
		if err := db.QueryRow(`SELECT ? GLOB ?`, f[1], f[0]).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := f[2] == "true"; got != want {
			t.Errorf("DuckDB: %q GLOB %q = %v, want %v", f[1], f[0], got, want)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d glob cases", n)
	}
}
