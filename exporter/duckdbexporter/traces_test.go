package duckdbexporter

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/queries"
)

var testStart = time.Date(2026, 11, 26, 23, 59, 58, 0, time.UTC)

// testSpan is one span to build: attributes and the ids derived from n.
type testSpan struct {
	n          uint64
	attrs      map[string]any
	start, end time.Time
}

// buildTraces puts spans under one resource of service "svc".
func buildTraces(spans ...testSpan) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(string(semconv.ServiceName), "svc")
	rs.Resource().Attributes().PutStr("host.name", "box")
	ss := rs.ScopeSpans().AppendEmpty()
	for _, s := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(traceID(s.n))
		sp.SetSpanID(spanID(s.n))
		sp.SetName("chat")
		if !s.start.IsZero() {
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
		}
		if !s.end.IsZero() {
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.end))
		}
		// In a fixed order, as an instrumentation records them.
		for _, k := range slices.Sorted(maps.Keys(s.attrs)) {
			if err := sp.Attributes().PutEmpty(k).FromRaw(s.attrs[k]); err != nil {
				panic(err)
			}
		}
	}
	return td
}

func traceID(n uint64) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[8:], n+1)
	id[0] = 0xab
	return id
}

func spanID(n uint64) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], n+1)
	return id
}

// groqCall is the attributes of a successful Groq chat call.
func groqCall() map[string]any {
	return map[string]any{
		string(semconv.GenAIProviderName):          semconv.ProviderGroq,
		string(semconv.GenAIOperationName):         semconv.OperationChat,
		string(semconv.GenAIRequestModel):          "llama-3.1-8b-instant",
		string(semconv.GenAIResponseModel):         "llama-3.1-8b-instant",
		string(semconv.GenAIResponseID):            "chatcmpl-1",
		string(semconv.GenAIUsageInputTokens):      int64(120),
		string(semconv.GenAIUsageOutputTokens):     int64(30),
		string(semconv.GenAIResponseFinishReasons): []any{"stop"},
		string(semconv.HTTPResponseStatusCode):     int64(200),
		string(semconv.ServerAddress):              "api.groq.com",
		string(semconv.ServerPort):                 int64(443),
		string(semconv.UserID):                     "u1",
		string(semconv.ProjectID):                  "p1",
		string(semconv.ActionType):                 "summarize",
		string(semconv.RateLimitRequestsLimit):     int64(14400),
		string(semconv.RateLimitRequestsRemaining): int64(14399),
		string(semconv.RateLimitRequestsReset):     6.0,
		string(semconv.RateLimitTokensLimit):       int64(6000),
		string(semconv.RateLimitTokensRemaining):   int64(5850),
		string(semconv.RateLimitTokensReset):       1.5,
		string(semconv.CostUSD):                    0.0000084,
		string(semconv.CostStatus):                 semconv.CostPriced,
	}
}

func with(base map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		if kv[i+1] == nil {
			delete(base, k)
		} else {
			base[k] = kv[i+1]
		}
	}
	return base
}

func TestTracesRows(t *testing.T) {
	e := startExporter(t, testConfig(t))
	giant := strings.Repeat("x", 1<<20)
	tests := []struct {
		name  string
		span  testSpan
		want  map[string]string // column (SQL expression) -> value as text
		fixes valueFixes
	}{{
		name: "groq chat call, every column typed",
		span: testSpan{attrs: groqCall(), start: testStart, end: testStart.Add(1500 * time.Millisecond)},
		want: map[string]string{
			"start_time::VARCHAR": "2026-11-26 23:59:58+00", "day": "2026-11-26", "duration_s": "1.5",
			"service_name": "svc", "provider": "groq", "operation": "chat",
			"request_model": "llama-3.1-8b-instant", "response_model": "llama-3.1-8b-instant", "response_id": "chatcmpl-1",
			"user_id": "u1", "project_id": "p1", "action_type": "summarize",
			"input_tokens": "120", "output_tokens": "30", "cache_read_input_tokens": "NULL",
			"finish_reasons": "[stop]", "status_code": "200", "error_type": "NULL", "server_address": "api.groq.com",
			"requests_limit": "14400", "requests_remaining": "14399", "requests_reset_s": "6.0",
			"tokens_limit": "6000", "tokens_remaining": "5850", "tokens_reset_s": "1.5",
			"cost_usd": "8.4e-06", "cost_status": "priced",
			// Attributes without a column stay, and only those.
			"attributes::VARCHAR":                  `{"server.port":443}`,
			"resource_attributes->>'host.name'":    "box",
			"resource_attributes->>'service.name'": "svc",
		},
	}, {
		name: "token counts as strings and integral doubles are coerced",
		span: testSpan{attrs: with(groqCall(),
			string(semconv.GenAIUsageInputTokens), "12", string(semconv.GenAIUsageOutputTokens), 7.0,
			string(semconv.GenAIUsageCacheReadInput), " 4 ", string(semconv.HTTPResponseStatusCode), "429",
			string(semconv.GenAIRequestStream), "true"), start: testStart},
		want: map[string]string{"input_tokens": "12", "output_tokens": "7", "cache_read_input_tokens": "4",
			"status_code": "429", "streaming": "true", "attributes::VARCHAR": `{"server.port":443}`},
		fixes: valueFixes{coerced: 5},
	}, {
		name: "negative, fractional, absurd and non-numeric counts are NULL and kept as attributes",
		span: testSpan{attrs: with(groqCall(),
			string(semconv.GenAIUsageInputTokens), int64(-3), string(semconv.GenAIUsageOutputTokens), 2.5,
			string(semconv.RateLimitTokensLimit), int64(1)<<50, string(semconv.RateLimitRequestsLimit), "lots",
			string(semconv.HTTPResponseStatusCode), int64(42)), start: testStart},
		want: map[string]string{"input_tokens": "NULL", "output_tokens": "NULL", "tokens_limit": "NULL",
			"requests_limit": "NULL", "status_code": "NULL", "provider": "groq",
			"attributes->>'gen_ai.usage.input_tokens'":        "-3",
			"attributes->>'gen_ai.usage.output_tokens'":       "2.5",
			"attributes->>'aiusage.ratelimit.requests.limit'": "lots",
			"attributes->>'http.response.status_code'":        "42"},
		fixes: valueFixes{nulled: 5},
	}, {
		name: "NaN cost and negative reset are NULL",
		span: testSpan{attrs: with(groqCall(), string(semconv.CostUSD), "NaN", string(semconv.RateLimitTokensReset), -1.0),
			start: testStart},
		want:  map[string]string{"cost_usd": "NULL", "tokens_reset_s": "NULL", "cost_status": "priced"},
		fixes: valueFixes{coerced: 1, nulled: 2},
	}, {
		name:  "a single finish reason string becomes a one-element list",
		span:  testSpan{attrs: with(groqCall(), string(semconv.GenAIResponseFinishReasons), "length"), start: testStart},
		want:  map[string]string{"finish_reasons": "[length]"},
		fixes: valueFixes{coerced: 1},
	}, {
		name:  "non-UTF-8 strings are made valid",
		span:  testSpan{attrs: with(groqCall(), string(semconv.UserID), "b\xffob", "note", "x\xfe"), start: testStart},
		want:  map[string]string{"user_id": "b\uFFFDob", "attributes->>'note'": "x\uFFFD"},
		fixes: valueFixes{repaired: 2},
	}, {
		name: "giant values are bounded",
		span: testSpan{attrs: with(groqCall(), "prompt", giant, string(semconv.GenAIRequestModel), giant), start: testStart},
		want: map[string]string{
			"length(attributes->>'prompt') < 17000":           "true",
			"ends_with(attributes->>'prompt', '[truncated]')": "true",
			"length(request_model) <= 16384":                  "true",
		},
		fixes: valueFixes{repaired: 2},
	}, {
		name:  "a span without start time is dated by its end",
		span:  testSpan{attrs: groqCall(), end: testStart},
		want:  map[string]string{"start_time::VARCHAR": "2026-11-26 23:59:58+00", "duration_s": "0.0"},
		fixes: valueFixes{coerced: 1},
	}, {
		name: "an error call",
		span: testSpan{attrs: with(groqCall(), string(semconv.ErrorType), "429", string(semconv.HTTPResponseStatusCode), int64(429),
			string(semconv.RateLimitRetryAfter), int64(7), string(semconv.GenAIUsageInputTokens), nil,
			string(semconv.CostUSD), nil, string(semconv.CostStatus), semconv.CostUnpriced), start: testStart},
		want: map[string]string{"error_type": "429", "status_code": "429", "retry_after_s": "7.0",
			"input_tokens": "NULL", "cost_usd": "NULL", "cost_status": "unpriced"},
	}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.span.n = uint64(i)
			td := buildTraces(tt.span)
			b := convertTraces(td)
			if b.stats.coerced != tt.fixes.coerced || b.stats.nulled != tt.fixes.nulled || b.stats.repaired != tt.fixes.repaired {
				t.Errorf("fixes: coerced %d nulled %d repaired %d; want %d %d %d", b.stats.coerced, b.stats.nulled,
					b.stats.repaired, tt.fixes.coerced, tt.fixes.nulled, tt.fixes.repaired)
			}
			if err := e.pushTraces(context.Background(), td); err != nil {
				t.Fatalf("push: %v", err)
			}
			for col, want := range tt.want {
				got := queryStrings(t, e.db, "SELECT ("+col+")::VARCHAR FROM ai_usage_log WHERE span_id = ?",
					spanIDString(spanID(tt.span.n)))
				if len(got) != 1 {
					t.Fatalf("span %d: %d rows, want 1", tt.span.n, len(got))
				}
				if got[0] != want {
					t.Errorf("%s = %q, want %q", col, got[0], want)
				}
			}
		})
	}
}

func TestTracesSkipsSpansWithoutProviderAndEmptyBatches(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	if err := e.pushTraces(ctx, ptrace.NewTraces()); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	td := buildTraces(
		testSpan{n: 1, attrs: map[string]any{"http.request.method": "GET"}, start: testStart},
		testSpan{n: 2, attrs: groqCall(), start: testStart},
		testSpan{n: 3, attrs: map[string]any{}, start: testStart},
	)
	if b := convertTraces(td); b.stats.spansNotGenAI != 2 || len(b.rows) != 1 {
		t.Errorf("not GenAI: %d, rows %d; want 2, 1", b.stats.spansNotGenAI, len(b.rows))
	}
	if err := e.pushTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, e.db, "SELECT span_id FROM ai_usage_log"); len(got) != 1 || got[0] != spanIDString(spanID(2)) {
		t.Errorf("rows %v, want only span 2", got)
	}
}

func TestTracesBatchDeliveredTwiceLandsOnce(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	var spans []testSpan
	for i := range 50 {
		attrs := with(groqCall(), string(semconv.UserID), fmt.Sprintf("u%d", i%3))
		spans = append(spans, testSpan{n: uint64(i), attrs: attrs, start: testStart.Add(time.Duration(i) * time.Second)})
	}
	// The first batch holds a span twice; the replay overlaps it and adds new spans, as
	// a queue re-batching after a crash would.
	first := buildTraces(append(spans[:30:30], spans[5])...)
	replay := buildTraces(spans[20:]...)
	for _, td := range []ptrace.Traces{first, first, replay, replay} {
		if err := e.pushTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_usage_log"); n != 50 {
		t.Errorf("%d rows, want 50", n)
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM (SELECT span_id FROM ai_usage_log GROUP BY ALL HAVING count(*) > 1)"); n != 0 {
		t.Errorf("%d spans stored more than once", n)
	}
	assertDailyMatchesLog(t, e)
}

// assertDailyMatchesLog checks the roll-up maintained batch by batch against the one
// queries/rollup.sql rebuilds from the raw rows.
func assertDailyMatchesLog(t *testing.T, e *duckdbExporter) {
	t.Helper()
	ctx := context.Background()
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_usage_daily"); n == 0 {
		t.Fatal("ai_usage_daily is empty")
	}
	const cols = `day, provider, model, service_name, user_id, project_id, action_type, requests, errors,
       rate_limited, streamed, input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens,
       round(cost_usd, 12), unpriced_requests, round(duration_s, 9), last_seen`
	if _, err := e.db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE daily_incremental AS SELECT `+cols+` FROM ai_usage_daily`); err != nil {
		t.Fatal(err)
	}
	days := queryStrings(t, e.db, `SELECT min(day)::VARCHAR || ',' || max(day)::VARCHAR FROM ai_usage_log`)
	from, to, _ := strings.Cut(days[0], ",")
	rollup, err := queries.Lookup("rollup")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.Run(ctx, e.db, map[string]string{"from_day": from, "to_day": to}); err != nil {
		t.Fatalf("queries/rollup.sql: %v", err)
	}
	const rebuilt = `SELECT ` + cols + ` FROM ai_usage_daily`
	diff := queryStrings(t, e.db, `SELECT count(*)::VARCHAR FROM ((FROM daily_incremental EXCEPT ALL `+rebuilt+`) UNION ALL (`+rebuilt+` EXCEPT ALL FROM daily_incremental))`)
	if diff[0] != "0" {
		t.Errorf("ai_usage_daily kept batch by batch differs from queries/rollup.sql's rebuild in %s rows", diff[0])
	}
}

func TestDailyRollupAccumulatesAcrossBatches(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	calls := []map[string]any{
		groqCall(),
		with(groqCall(), string(semconv.GenAIRequestStream), true, string(semconv.GenAIUsageReasoningOutput), int64(9)),
		with(groqCall(), string(semconv.ErrorType), "429", string(semconv.HTTPResponseStatusCode), int64(429),
			string(semconv.CostUSD), nil, string(semconv.CostStatus), semconv.CostUnpriced, string(semconv.GenAIResponseModel), nil),
		// A failed call with no usage: neither priced nor unpriced.
		with(groqCall(), string(semconv.ErrorType), "500", string(semconv.HTTPResponseStatusCode), int64(500),
			string(semconv.CostUSD), nil, string(semconv.CostStatus), nil, string(semconv.GenAIUsageInputTokens), nil,
			string(semconv.GenAIUsageOutputTokens), nil),
		with(groqCall(), string(semconv.UserID), nil, string(semconv.ProjectID), nil, string(semconv.ActionType), nil),
		with(groqCall(), string(semconv.GenAIProviderName), semconv.ProviderGemini,
			string(semconv.GenAIRequestModel), "gemini-2.5-flash", string(semconv.GenAIResponseModel), "gemini-2.5-flash"),
	}
	n := uint64(0)
	for day := range 2 {
		for range 3 { // three batches a day
			var spans []testSpan
			for _, c := range calls {
				n++
				start := testStart.Add(time.Duration(day)*24*time.Hour + time.Duration(n)*time.Second)
				spans = append(spans, testSpan{n: n, attrs: c, start: start, end: start.Add(time.Second)})
			}
			if err := e.pushTraces(ctx, buildTraces(spans...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertDailyMatchesLog(t, e)
	// Missing attribution is '' in the key, never NULL.
	if got := queryInt(t, e.db, `SELECT count(*) FROM ai_usage_daily WHERE user_id = '' AND project_id = '' AND action_type = ''`); got == 0 {
		t.Error("no roll-up row for unattributed calls")
	}
}

// TestDailyRollupOfBatchesBetweenStoredRows: a batch whose spans fall between rows
// stored before (a late or re-batched delivery) adds only its own rows to the roll-up,
// though its time range holds older ones.
func TestDailyRollupOfBatchesBetweenStoredRows(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	batch := func(parity int) ptrace.Traces {
		var spans []testSpan
		for i := parity; i < 40; i += 2 {
			spans = append(spans, testSpan{n: uint64(i), attrs: groqCall(), start: testStart.Add(time.Duration(i) * time.Second)})
		}
		return buildTraces(spans...)
	}
	for _, td := range []ptrace.Traces{batch(0), batch(1), batch(1), batch(0)} {
		if err := e.pushTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryInt(t, e.db, "SELECT sum(requests) FROM ai_usage_daily"); n != 40 {
		t.Errorf("the roll-up counts %d requests, want 40", n)
	}
	assertDailyMatchesLog(t, e)
}
