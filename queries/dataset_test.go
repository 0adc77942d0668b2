package queries

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
	"github.com/aiusage/aiusage/internal/schema"
)

// The known data set every report test reads: calls on five November days plus two old
// September days (for retention), both providers, priced, tiered, glob-priced and
// unpriced models, a price change on 2026-11-03, streams, errors and 429s.

// asOf is "now" for the data set: the afternoon of its last day.
var asOf = time.Date(2026, 11, 5, 18, 0, 0, 0, time.UTC)

type call struct {
	start                                    time.Time
	provider, model                          string
	user, project, action                    string
	in, out, cached, reasoning               int64
	stream                                   bool
	status                                   int
	errType, quotaID                         string
	retryAfter                               float64
	cost                                     *float64 // nil: unpriced (or no usage to price)
	costStatus                               string
	reqLimit, reqRemaining, tokLimit, tokRem int64 // Groq headers; 0 = absent
	reqReset, tokReset                       float64
}

type model struct{ provider, name string }

var models = []model{
	{"groq", "llama-3.3-70b-versatile"},
	{"groq", "openai/gpt-oss-120b"},        // cached-input price
	{"gcp.gemini", "gemini-2.5-pro"},       // long-context tier
	{"gcp.gemini", "gemini-2.0-flash-001"}, // priced by a glob
	{"groq", "groq/compound-mini"},         // unpriced
	{"gcp.gemini", "gemini-2.5-flash"},     // price changes on 2026-11-03
	{"gcp.gemini", "gemini-exp-1206"},      // unpriced
	{"groq", "llama-3.1-8b-instant"},
}

var (
	users    = []string{"ana", "bo", "cy", "dee", ""}
	projects = []string{"voice", "search", ""}
	actions  = []string{"transcribe", "summarize", "answer", ""}
)

func testPrices(t testing.TB) *pricing.Table {
	t.Helper()
	pt, err := pricing.Load("testdata/prices.csv")
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// testPricesOnce is testdata/prices.csv, read once.
var testPricesOnce = sync.OnceValue(func() *pricing.Table {
	pt, err := pricing.Load("testdata/prices.csv")
	if err != nil {
		panic(err)
	}
	return pt
})

// dataset builds the calls. Costs are recorded as the instrumentation records them:
// the price of the call's model on its day, or unpriced.
func dataset(pt *pricing.Table) []call {
	days := []time.Time{
		time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), // previous month: outside the cost report
	}
	for d := 1; d <= 5; d++ {
		days = append(days, time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC))
	}
	var calls []call
	for di, day := range days {
		n := 40
		if day.Month() != time.November {
			n = 8
		}
		perModel := map[string]int64{}
		for i := range n {
			m := models[i%len(models)]
			c := call{
				start:    day.Add(8*time.Hour + time.Duration(i/3)*time.Minute + time.Duration(i)*time.Second),
				provider: m.provider, model: m.name,
				user: users[i%len(users)], project: projects[i%len(projects)], action: actions[i%len(actions)],
				in:     int64(100 + 37*i + 11*di),
				out:    int64(20 + 13*i),
				stream: i%3 == 0,
				status: 200,
			}
			if m.name == "openai/gpt-oss-120b" {
				c.cached, c.reasoning = c.in/2, c.out/4
			}
			if m.name == "gemini-2.5-pro" && i%16 == 2 {
				c.in = 250_000 + int64(i) // long-context tier
			}
			switch {
			case i == 13:
				c.status, c.errType, c.in, c.out, c.cached, c.reasoning = 500, "500", 0, 0, 0, 0
			case i == 32 || i == 24 && di%2 == 0: // Groq llama-3.3 per-day limit
				c.status, c.errType, c.in, c.out, c.cached, c.reasoning = 429, "rate_limit_exceeded", 0, 0, 0, 0
				c.retryAfter = 30 + float64(di)
			case i == 37:
				c.status, c.errType, c.in, c.out, c.cached, c.reasoning = 429, "RESOURCE_EXHAUSTED", 0, 0, 0, 0
				c.quotaID, c.retryAfter = "GenerateRequestsPerDayPerProjectPerModel-FreeTier", 20.5
			}
			if c.status == 200 {
				if usd, ok := pt.Cost(c.provider, c.model, usage.Usage{InputTokens: c.in, OutputTokens: c.out, CacheReadInputTokens: c.cached}, c.start); ok {
					c.cost, c.costStatus = &usd, "priced"
				} else {
					c.costStatus = "unpriced"
				}
			}
			if c.provider == "groq" && c.status != 500 {
				perModel[c.model]++
				c.reqLimit, c.reqRemaining, c.reqReset = 1000, 1000-perModel[c.model], 86.4*float64(perModel[c.model])
				c.tokLimit, c.tokRem, c.tokReset = 6000, 6000-c.in-c.out, 7.5
			}
			calls = append(calls, c)
		}
	}
	return calls
}

type snapshot struct {
	time                              time.Time
	provider, model, resource, window string
	source                            string
	limit, remaining                  float64
}

// snapshots are quota observations as the exporter stores them from metric points.
func snapshots() []snapshot {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 5, h, m, 0, 0, time.UTC) }
	return []snapshot{
		{at(10, 0), "gcp.gemini", "gemini-2.5-flash", "requests", "1d", "estimate", 250, 50},
		{at(11, 0), "gcp.gemini", "gemini-2.5-flash", "requests", "1d", "estimate", 250, 20},
		{at(11, 0), "gcp.gemini", "gemini-2.5-flash", "tokens", "1m", "estimate", 250000, 200000},
		{at(19, 0), "gcp.gemini", "gemini-2.5-flash", "tokens", "1m", "estimate", 250000, 0}, // after asOf
		{at(9, 0), "groq", "llama-3.3-70b-versatile", "requests", "1d", "header", 1000, 990},
		{time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), "gcp.gemini", "gemini-2.5-pro", "requests", "1d", "estimate", 100, 1},
		{time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC), "gcp.gemini", "gemini-2.5-pro", "requests", "1d", "estimate", 100, 1},
	}
}

// newDB returns an in-memory database at the current schema holding the data set.
func newDB(t testing.TB) (*sql.DB, []call) {
	t.Helper()
	return openDataset(t, "")
}

// newFileDB is newDB in a DuckDB file, as the exporter's endpoint serves it.
func newFileDB(t testing.TB) *sql.DB {
	t.Helper()
	db, _ := openDataset(t, filepath.Join(t.TempDir(), "usage.duckdb"))
	return db
}

// openDataset opens path ("" in memory) and fills it with the data set.
func openDataset(t testing.TB, path string) (*sql.DB, []call) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	pt := testPrices(t)
	if err := schema.ReplacePrices(ctx, db, pt.Prices(), schema.Origin{Kind: schema.OriginFile, Name: "testdata/prices.csv"}); err != nil {
		t.Fatal(err)
	}
	calls := dataset(pt)
	if err := insertCalls(ctx, db, calls); err != nil {
		t.Fatal(err)
	}
	if err := insertBudgets(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, s := range snapshots() {
		util := (s.limit - s.remaining) / s.limit
		if _, err := db.ExecContext(ctx, `INSERT INTO ai_quota_snapshot (time, service_name, provider, model, resource, "window", source, "limit", remaining, utilization)
			VALUES (?, 'voice-app', ?, ?, ?, ?, ?, ?, ?, ?)`, s.time, s.provider, s.model, s.resource, s.window, s.source, s.limit, s.remaining, util); err != nil {
			t.Fatal(err)
		}
	}
	return db, calls
}

func insertCalls(ctx context.Context, db *sql.DB, calls []call) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO ai_usage_log (
		trace_id, span_id, start_time, end_time, day, duration_s, service_name, provider, operation,
		request_model, response_model, user_id, project_id, action_type,
		input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens, streaming,
		status_code, error_type, requests_limit, requests_remaining, requests_reset_s,
		tokens_limit, tokens_remaining, tokens_reset_s, retry_after_s, quota_id, cost_usd, cost_status)
		VALUES (?, ?, ?, ?, ?::DATE, ?, 'voice-app', ?, 'chat', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, c := range calls {
		respModel := any(c.model)
		tokens := []any{c.in, c.out, c.cached, c.reasoning}
		if c.status != 200 {
			respModel = nil                    // errors carry no response model
			tokens = []any{nil, nil, nil, nil} // nor usage
		}
		var cost, costStatus any
		if c.cost != nil {
			cost = *c.cost
		}
		if c.costStatus != "" {
			costStatus = c.costStatus
		}
		if _, err := stmt.ExecContext(ctx,
			fmt.Sprintf("%032x", i), fmt.Sprintf("%016x", i), c.start, c.start.Add(time.Second), c.start.Format(time.DateOnly), 1.0,
			c.provider, c.model, respModel, nullable(c.user), nullable(c.project), nullable(c.action),
			tokens[0], tokens[1], tokens[2], tokens[3], c.stream,
			c.status, nullable(c.errType), nullableInt(c.reqLimit), nullableInt(c.reqRemaining, c.reqLimit), nullableFloat(c.reqReset, c.reqLimit),
			nullableInt(c.tokLimit), nullableInt(c.tokRem, c.tokLimit), nullableFloat(c.tokReset, c.tokLimit),
			nullableFloat(c.retryAfter, int64(c.retryAfter*10)), nullable(c.quotaID), cost, costStatus); err != nil {
			return fmt.Errorf("insert call %d: %w", i, err)
		}
	}
	return tx.Commit()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullableInt is v, or NULL when the header it comes from (present, else v itself) is absent.
func nullableInt(v int64, present ...int64) any {
	if p := append(present, v)[0]; p == 0 {
		return nil
	}
	return v
}

func nullableFloat(v float64, present int64) any {
	if present == 0 {
		return nil
	}
	return v
}
