package queries

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
)

// benchRows is how many calls the benchmark database holds: a month of them.
const benchRows = 10_000_000

// generateCalls fills ai_usage_log with benchRows calls spread evenly over November
// 2026: 8 models of both providers (two unpriced), 500 users, 20 projects, 4 actions,
// ~1% 429s (Gemini ones with a quota id), ~0.5% 500s, a third streamed, Groq rate-limit
// headers, a long-context Gemini prompt in every thousand calls.
const generateCalls = `
INSERT INTO ai_usage_log (trace_id, span_id, start_time, end_time, day, duration_s, service_name, provider, operation,
    request_model, response_model, user_id, project_id, action_type, input_tokens, output_tokens,
    cache_read_input_tokens, reasoning_output_tokens, streaming, status_code, error_type,
    requests_limit, requests_remaining, requests_reset_s, tokens_limit, tokens_remaining, tokens_reset_s,
    retry_after_s, quota_id, cost_usd, cost_status)
SELECT trace_id, span_id, start_time, start_time, day, 0.8, 'voice-app', provider,
       CASE WHEN provider = 'groq' THEN 'chat' ELSE 'generate_content' END,
       model, CASE WHEN status = 200 THEN model END, user_id, project_id, action_type,
       input_tokens, output_tokens, cached, reasoning, streaming, status,
       CASE status WHEN 429 THEN 'rate_limit_exceeded' WHEN 500 THEN '500' END,
       CASE WHEN provider = 'groq' THEN 14400 END, CASE WHEN provider = 'groq' THEN 14400 - i % 14400 END,
       CASE WHEN provider = 'groq' THEN 6.0 END,
       CASE WHEN provider = 'groq' THEN 6000 END, CASE WHEN provider = 'groq' THEN 6000 - i % 6000 END,
       CASE WHEN provider = 'groq' THEN 7.5 END,
       CASE WHEN status = 429 THEN 30.0 END,
       CASE WHEN status = 429 AND provider = 'gcp.gemini' THEN 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' END,
       CASE WHEN status = 200 AND NOT unpriced THEN (input_tokens * 0.5 + output_tokens * 1.5) / 1e6 END,
       CASE WHEN status = 200 THEN CASE WHEN unpriced THEN 'unpriced' ELSE 'priced' END END
FROM (
    SELECT i,
           i::VARCHAR AS trace_id, i::VARCHAR AS span_id,
           to_timestamp(1793491200 + i * 0.2592) AS start_time,
           DATE '2026-11-01' + (i * 2592 // 864000000)::INTEGER AS day,
           ['groq', 'groq', 'gcp.gemini', 'gcp.gemini', 'groq', 'gcp.gemini', 'gcp.gemini', 'groq'][i % 8 + 1] AS provider,
           ['llama-3.3-70b-versatile', 'openai/gpt-oss-120b', 'gemini-2.5-pro', 'gemini-2.0-flash-001',
            'groq/compound-mini', 'gemini-2.5-flash', 'gemini-exp-1206', 'llama-3.1-8b-instant'][i % 8 + 1] AS model,
           i % 8 IN (4, 6) AS unpriced,
           'user-' || (i * 31 % 500) AS user_id,
           'project-' || (i % 20) AS project_id,
           ['transcribe', 'summarize', 'answer', 'classify'][i % 4 + 1] AS action_type,
           CASE WHEN i % 97 = 0 THEN 429 WHEN i % 211 = 0 THEN 500 ELSE 200 END AS status,
           CASE WHEN i % 97 = 0 OR i % 211 = 0 THEN 0 WHEN i % 1000 = 2 THEN 250000 ELSE 100 + (i * 7919) % 4000 END AS input_tokens,
           CASE WHEN i % 97 = 0 OR i % 211 = 0 THEN 0 ELSE 20 + (i * 104729) % 800 END AS output_tokens,
           CASE WHEN i % 8 = 1 AND i % 97 <> 0 AND i % 211 <> 0 THEN (100 + (i * 7919) % 4000) // 2 ELSE 0 END AS cached,
           CASE WHEN i % 8 = 1 AND i % 97 <> 0 AND i % 211 <> 0 THEN (20 + (i * 104729) % 800) // 4 ELSE 0 END AS reasoning,
           i % 3 = 0 AS streaming
    FROM range(` + "10000000" + `) r(i)
)`

// generateSnapshots adds a quota observation every 30 s per Gemini estimate and Groq header series.
const generateSnapshots = `
INSERT INTO ai_quota_snapshot
SELECT to_timestamp(1793491200 + (i // 4) * 30), 'voice-app', s.provider, s.model, s.resource, s.win, s.source,
       s.lim, s.lim - (i * 7) % s.lim, ((i * 7) % s.lim) / s.lim
FROM range(345600) r(i)
JOIN (VALUES (0, 'gcp.gemini', 'gemini-2.5-flash', 'requests', '1d', 'estimate', 250.0),
             (1, 'gcp.gemini', 'gemini-2.5-flash', 'tokens', '1m', 'estimate', 250000.0),
             (2, 'groq', 'llama-3.3-70b-versatile', 'requests', '1d', 'header', 14400.0),
             (3, 'groq', 'llama-3.3-70b-versatile', 'tokens', '1m', 'header', 6000.0))
     s(k, provider, model, resource, win, source, lim) ON s.k = i % 4`

var bench struct {
	once sync.Once
	dir  string
	db   *sql.DB
	err  error
}

// benchDB is the one 10M-row database every report benchmark shares.
func benchDB(b *testing.B) *sql.DB {
	b.Helper()
	bench.once.Do(func() {
		ctx := context.Background()
		if bench.dir, bench.err = os.MkdirTemp("", "aiusage-bench-"); bench.err != nil {
			return
		}
		start := time.Now()
		db, err := sql.Open("duckdb", filepath.Join(bench.dir, "bench.duckdb"))
		if err != nil {
			bench.err = err
			return
		}
		bench.db = db
		if _, err := schema.Migrate(ctx, db); err != nil {
			bench.err = err
			return
		}
		for _, q := range []string{generateCalls, generateSnapshots} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				bench.err = fmt.Errorf("generate: %w", err)
				return
			}
		}
		if bench.err = schema.ReplacePrices(ctx, db, pricing.Default().Prices(), schema.Origin{Kind: schema.OriginBuiltin, Name: pricing.DefaultFingerprint()}); bench.err != nil {
			return
		}
		if _, bench.err = db.ExecContext(ctx, "CHECKPOINT"); bench.err != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "bench: generated %d calls in %s\n", benchRows, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchArgs make every report cover the whole month of generated calls.
var benchArgs = map[string]map[string]string{
	"daily":        {"from_day": "2026-11-01", "to_day": "2026-11-30"},
	"users":        {"days": "30", "to_day": "2026-11-30"},
	"projects":     {"from_day": "2026-11-01", "to_day": "2026-11-30"},
	"cost":         {"as_of": "2026-11-30"},
	"quota":        {"as_of": "2026-12-01T00:00:00Z", "days": "30"},
	"rate_limited": {"as_of": "2026-12-01T00:00:00Z", "hours": "720"},
	"rates":        {"as_of": "2026-12-01T00:00:00Z", "hours": "720", "limits": `[{"provider":"gcp.gemini","rpm":10,"rpd":250,"tpm":250000}]`},
	"rollup":       {"from_day": "2026-11-01", "to_day": "2026-11-30"},
}

// benchReport runs one report as its SQL file does, then the same answer the way the
// original app computed it: every row loaded into Go and aggregated there.
func benchReport(b *testing.B, name string, inGo func(ctx context.Context, db *sql.DB) (int, error)) {
	db := benchDB(b)
	r, err := Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var sqlRows int
	b.Run("sql", func(b *testing.B) {
		// One untimed run first: the columns it reads come into DuckDB's buffer pool, as
		// they are on a collector that has been serving reports.
		if _, err := r.Run(ctx, db, benchArgs[name]); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := r.Run(ctx, db, benchArgs[name])
			if err != nil {
				b.Fatal(err)
			}
			sqlRows = len(res.Rows)
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			n, err := inGo(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			if n != sqlRows {
				b.Fatalf("load-and-aggregate found %d result rows, the SQL file %d", n, sqlRows)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkRetention deletes the month's first three days (a million calls) after the
// roll-up covers them, and puts them back between runs. It has no load-and-aggregate
// counterpart: deleting rows is the same DELETE either way.
func BenchmarkRetention(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE bench_kept_calls AS FROM ai_usage_log WHERE day < DATE '2026-11-04'`,
		`CREATE OR REPLACE TABLE bench_kept_snapshots AS FROM ai_quota_snapshot WHERE time < TIMESTAMPTZ '2026-11-04 00:00:00+00'`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	rollup, _ := Lookup("rollup")
	if _, err := rollup.Run(ctx, db, benchArgs["rollup"]); err != nil {
		b.Fatal(err)
	}
	retention, _ := Lookup("retention")
	args := map[string]string{"as_of": "2026-11-30", "days": "26"} // cutoff 2026-11-04
	for b.Loop() {
		res, err := retention.Run(ctx, db, args)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := res.Rows[0][2].(int64); n != 1_000_000 {
			b.Fatalf("retention deleted %d calls, want the first three days' 1000000", n)
		}
		for _, q := range []string{`INSERT INTO ai_usage_log FROM bench_kept_calls`, `INSERT INTO ai_quota_snapshot FROM bench_kept_snapshots`} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}
