package console_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
)

// benchRows is how many calls the first-load benchmark's database holds.
const benchRows = 1_000_000

// generateCalls spreads benchRows calls evenly over the 30 days up to now (epoch
// seconds %[1]d): 8 models of both providers (two unpriced), 500 users, 20 projects,
// ~1% 429s, a third streamed, Groq rate-limit headers.
const generateCalls = `
INSERT INTO ai_usage_log (trace_id, span_id, start_time, end_time, day, duration_s, service_name, provider, operation,
    request_model, response_model, user_id, project_id, action_type, input_tokens, output_tokens,
    cache_read_input_tokens, reasoning_output_tokens, streaming, status_code, error_type,
    requests_limit, requests_remaining, requests_reset_s, tokens_limit, tokens_remaining, tokens_reset_s,
    retry_after_s, cost_usd, cost_status)
SELECT i::VARCHAR, i::VARCHAR, to_timestamp(t), to_timestamp(t), DATE '1970-01-01' + (t // 86400)::INTEGER, 0.8, 'voice-app',
       provider, CASE WHEN provider = 'groq' THEN 'chat' ELSE 'generate_content' END,
       model, CASE WHEN status = 200 THEN model END, user_id, project_id, 'reply',
       input_tokens, output_tokens, 0, 0, i %% 3 = 0, status,
       CASE status WHEN 429 THEN 'rate_limit_exceeded' END,
       CASE WHEN provider = 'groq' THEN 14400 END, CASE WHEN provider = 'groq' THEN 14400 - i %% 14400 END,
       CASE WHEN provider = 'groq' THEN 6.0 END,
       CASE WHEN provider = 'groq' THEN 6000 END, CASE WHEN provider = 'groq' THEN 6000 - i %% 6000 END,
       CASE WHEN provider = 'groq' THEN 7.5 END,
       CASE WHEN status = 429 THEN 30.0 END,
       CASE WHEN status = 200 AND NOT unpriced THEN (input_tokens * 0.5 + output_tokens * 1.5) / 1e6 END,
       CASE WHEN status = 200 THEN CASE WHEN unpriced THEN 'unpriced' ELSE 'priced' END END
FROM (
    SELECT i, %[1]d - 30 * 86400 + (i * 30 * 86400) // %[2]d AS t,
           ['groq', 'groq', 'gcp.gemini', 'gcp.gemini', 'groq', 'gcp.gemini', 'gcp.gemini', 'groq'][i %% 8 + 1] AS provider,
           ['llama-3.3-70b-versatile', 'openai/gpt-oss-120b', 'gemini-2.5-pro', 'gemini-2.0-flash-001',
            'groq/compound-mini', 'gemini-2.5-flash', 'gemini-exp-1206', 'llama-3.1-8b-instant'][i %% 8 + 1] AS model,
           i %% 8 IN (4, 6) AS unpriced,
           'user-' || (i * 31 %% 500) AS user_id,
           'project-' || (i %% 20) AS project_id,
           CASE WHEN i %% 97 = 0 THEN 429 ELSE 200 END AS status,
           CASE WHEN i %% 97 = 0 THEN 0 ELSE 100 + (i * 7919) %% 4000 END AS input_tokens,
           CASE WHEN i %% 97 = 0 THEN 0 ELSE 20 + (i * 104729) %% 800 END AS output_tokens
    FROM range(%[2]d) r(i)
)`

var benchDB struct {
	once sync.Once
	path string
	err  error
}

// benchFile is a DuckDB file at the current schema with benchRows calls; it is made
// once per run and left to the benchmark's temporary folder.
func benchFile(b *testing.B) string {
	benchDB.once.Do(func() {
		benchDB.path = filepath.Join(b.TempDir(), "bench.duckdb")
		ctx := context.Background()
		db, err := sql.Open("duckdb", benchDB.path)
		if err != nil {
			benchDB.err = err
			return
		}
		defer db.Close()
		start := time.Now()
		if _, err := schema.Migrate(ctx, db); err != nil {
			benchDB.err = err
			return
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf(generateCalls, time.Now().Unix(), benchRows)); err != nil {
			benchDB.err = fmt.Errorf("generate: %w", err)
			return
		}
		if benchDB.err = schema.ReplacePrices(ctx, db, pricing.Default().Prices(), schema.Origin{Kind: schema.OriginBuiltin, Name: pricing.DefaultFingerprint()}); benchDB.err != nil {
			return
		}
		_, benchDB.err = db.ExecContext(ctx, "CHECKPOINT")
		b.Logf("generated %d calls in %s", benchRows, time.Since(start).Round(time.Millisecond))
	})
	if benchDB.err != nil {
		b.Fatal(benchDB.err)
	}
	return benchDB.path
}

// BenchmarkConsoleFirstLoad is the console's first load, server side: the report
// list and every answer the plan asks for, two at a time as the page asks, from a
// collector holding a million calls. "endpoint" is the report endpoint as configured
// by default, whose query slot rests after each query so ingest keeps the CPU;
// "unbounded" (the baseline) is the same endpoint without the rest. Results are not
// reused between loads (cache_ttl 0): every load runs every query.
func BenchmarkConsoleFirstLoad(b *testing.B) {
	db := benchFile(b)
	plan, err := console.LoadPlan()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, reports string }{
		{"endpoint", "      cache_ttl: 0s\n"},
		{"unbounded", "      cache_ttl: 0s\n      query_time_share: 1\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			col := startCollector(b, db, c.reports)
			list, err := col.client().Reports(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			calls, err := plan.Resolve(list, console.Vars{To: time.Now().UTC().Format(time.DateOnly), Days: plan.DefaultRange}, nil)
			if err != nil {
				b.Fatal(err)
			}
			paths := []string{"/reports"}
			for _, call := range calls {
				paths = append(paths, call.Path())
			}
			load := func() {
				next := make(chan string, len(paths))
				for _, p := range paths {
					next <- p
				}
				close(next)
				var wg sync.WaitGroup
				for range plan.MaxInFlight {
					wg.Go(func() {
						for p := range next {
							getOK(b, col, p)
						}
					})
				}
				wg.Wait()
			}
			load() // the columns come into DuckDB's buffer pool, as on a collector that has served reports
			for _, p := range paths {
				start := time.Now()
				getOK(b, col, p)
				b.Logf("%s: %s", p, time.Since(start).Round(time.Millisecond))
			}
			for b.Loop() {
				load()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
		})
	}
}

func getOK(b *testing.B, col *testCollector, path string) {
	req, _ := http.NewRequest(http.MethodGet, col.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+col.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
}
