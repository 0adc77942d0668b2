package lake

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"
)

// TestDuckDBDDLReadsTheLakeAsTheViewsDo runs docs/lake/duckdb.sql, the DDL an analyst
// runs in their own DuckDB client, over a lake and compares what it reads with the
// views reports run over.
func TestDuckDBDDLReadsTheLakeAsTheViewsDo(t *testing.T) {
	ddl, err := os.ReadFile("../../docs/lake/duckdb.sql")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	a, b := source(t), source(t)
	insertCalls(t, a, day1, 0, 10)
	insertCalls(t, b, day1, 8, 12)
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	writeRun(t, a, root, "gw-a", UsageLog, day1, `SELECT * FROM ai_usage_log`, at)
	writeRun(t, b, root, "gw-b", UsageLog, day1, `SELECT * FROM ai_usage_log`, at)
	exec(t, a, `INSERT INTO ai_quota_snapshot VALUES (TIMESTAMPTZ '2026-11-24 10:00:00+00', 'svc', 'groq', 'llama', 'requests', '1d', 'header', 14400, NULL, NULL)`)
	writeRun(t, a, root, "gw-a", QuotaSnapshot, day1, `SELECT *, DATE '2026-11-24' AS day FROM ai_quota_snapshot`, at)
	exec(t, a, `UPDATE ai_quota_snapshot SET remaining = 14000`)
	writeRun(t, a, root, "gw-a", QuotaSnapshot, day1, `SELECT *, DATE '2026-11-24' AS day FROM ai_quota_snapshot`, at.Add(time.Hour))
	for _, db := range []*sql.DB{a, b} {
		exec(t, db, `INSERT INTO ai_usage_daily (day, provider, model, service_name, user_id, project_id, action_type, requests, errors, rate_limited, streamed, input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens, cost_usd, unpriced_requests, duration_s, last_seen) VALUES (DATE '2026-11-24', 'groq', 'llama', 'svc', 'u1', '', '', 3, 0, 0, 0, 300, 30, 0, 0, 0.003, 0, 1.5, TIMESTAMPTZ '2026-11-24 12:00:00+00')`)
		writeRun(t, db, root, "gw-x", Daily, day1, `SELECT * FROM ai_usage_daily`, at)
	}
	exec(t, a, `INSERT INTO model_prices (provider, model, unit, usd, per, effective_from, source) VALUES
	    ('groq', 'llama', 'input_tokens', 0.59, 1e6, DATE '2024-01-01', 'test'), ('groq', 'llama', 'output_tokens', 0.79, 1e6, DATE '2024-01-01', 'test')`)
	writeRun(t, a, root, "gw-a", Prices, day1, `SELECT * FROM model_prices`, at)

	analyst, err := sql.Open("duckdb", "") // an analyst's client, in memory
	if err != nil {
		t.Fatal(err)
	}
	defer analyst.Close()
	conn, err := analyst.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `SET VARIABLE lake = `+Quote(root)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), string(ddl)); err != nil {
		t.Fatalf("docs/lake/duckdb.sql: %v", err)
	}
	l := openLake(t, root)
	for _, q := range []string{
		`SELECT count(*) || ' ' || sum(input_tokens) FROM ai_usage_log`,
		`SELECT requests || ' ' || input_tokens FROM ai_usage_daily`,
		`SELECT count(*) || ' ' || max(remaining) FROM ai_quota_snapshot`,
		`SELECT count(*) FROM model_prices`,
	} {
		rows, err := conn.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s over the DDL: %v", q, err)
		}
		var got string
		for rows.Next() {
			if err := rows.Scan(&got); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		if want := strings1(t, l.DB, q); len(want) != 1 || got != want[0] {
			t.Errorf("%s: the DDL reads %q, the views %v", q, got, want)
		}
	}
}
