package duckdbexporter

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Columns of ai_usage_log, in the order rows are appended.
const (
	colTraceID = iota
	colSpanID
	colStartTime
	colEndTime
	colDay
	colDuration
	colServiceName
	colProvider
	colOperation
	colRequestModel
	colResponseModel
	colResponseID
	colUserID
	colProjectID
	colActionType
	colInputTokens
	colOutputTokens
	colCacheReadTokens
	colReasoningTokens
	colStreaming
	colTimeToFirstChunk
	colFinishReasons
	colStatusCode
	colErrorType
	colServerAddress
	colRequestsLimit
	colRequestsRemaining
	colRequestsReset
	colTokensLimit
	colTokensRemaining
	colTokensReset
	colRetryAfter
	colQuotaID
	colCostUSD
	colCostStatus
	colAttributes
	colResourceAttributes
	numUsageColumns
)

var usageColumns = [numUsageColumns]string{
	colTraceID: "trace_id", colSpanID: "span_id", colStartTime: "start_time", colEndTime: "end_time",
	colDay: "day", colDuration: "duration_s", colServiceName: "service_name", colProvider: "provider",
	colOperation: "operation", colRequestModel: "request_model", colResponseModel: "response_model",
	colResponseID: "response_id", colUserID: "user_id", colProjectID: "project_id", colActionType: "action_type",
	colInputTokens: "input_tokens", colOutputTokens: "output_tokens",
	colCacheReadTokens: "cache_read_input_tokens", colReasoningTokens: "reasoning_output_tokens",
	colStreaming: "streaming", colTimeToFirstChunk: "time_to_first_chunk_s", colFinishReasons: "finish_reasons",
	colStatusCode: "status_code", colErrorType: "error_type", colServerAddress: "server_address",
	colRequestsLimit: "requests_limit", colRequestsRemaining: "requests_remaining", colRequestsReset: "requests_reset_s",
	colTokensLimit: "tokens_limit", colTokensRemaining: "tokens_remaining", colTokensReset: "tokens_reset_s",
	colRetryAfter: "retry_after_s", colQuotaID: "quota_id", colCostUSD: "cost_usd", colCostStatus: "cost_status",
	colAttributes: "attributes", colResourceAttributes: "resource_attributes",
}

// usageRow is one ai_usage_log row, ready to append.
type usageRow struct {
	key    spanKey
	values [numUsageColumns]driver.Value
}

// spanKey identifies a span; the zero key (no ids) is never treated as a duplicate.
type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// spanBatch is a traces batch converted to rows, before the duplicate check.
type spanBatch struct {
	rows             []usageRow
	minTime, maxTime time.Time
	stats            batchStats
}

// convertTraces turns every GenAI span of td into a row. It never fails: values it
// cannot use are NULL (and kept in the attributes JSON), and counted.
func convertTraces(td ptrace.Traces) spanBatch {
	b := spanBatch{rows: make([]usageRow, 0, td.SpanCount())}
	seen := make(map[spanKey]struct{}, td.SpanCount())
	var fixes valueFixes
	rb := rowBuilder{fixes: &fixes, buf: make([]byte, 0, 1024), boxed: map[string]driver.Value{}}
	for _, rs := range td.ResourceSpans().All() {
		res := rs.Resource().Attributes()
		var resJSON json.RawMessage
		service := driver.Value(nil)
		if v, ok := res.Get(string(semconv.ServiceName)); ok {
			if s, ok := fixes.str(v); ok {
				service = rb.box(s)
			}
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				attrs := span.Attributes()
				if _, ok := attrs.Get(string(semconv.GenAIProviderName)); !ok {
					b.stats.spansNotGenAI++
					continue
				}
				key := spanKey{trace: span.TraceID(), span: span.SpanID()}
				if !key.span.IsEmpty() {
					if _, dup := seen[key]; dup {
						b.stats.spansDuplicate++
						continue
					}
					seen[key] = struct{}{}
				}
				if resJSON == nil { // once per resource, shared by its rows
					resJSON = json.RawMessage(fixes.appendJSONMap(nil, res, nil, 0))
				}
				b.rows = append(b.rows, usageRow{key: key})
				r := &b.rows[len(b.rows)-1]
				rb.v = &r.values
				rb.fill(span)
				r.values[colServiceName] = service
				r.values[colResourceAttributes] = resJSON
				start := r.values[colStartTime].(time.Time)
				if b.minTime.IsZero() || start.Before(b.minTime) {
					b.minTime = start
				}
				if start.After(b.maxTime) {
					b.maxTime = start
				}
			}
		}
	}
	b.stats.coerced, b.stats.nulled, b.stats.repaired = fixes.coerced, fixes.nulled, fixes.repaired
	return b
}

// rowBuilder fills one row's columns from a span's attributes; attributes without a
// column, and values a column could not take, go to the attributes JSON in buf. It is
// reused across the spans of a batch.
type rowBuilder struct {
	v       *[numUsageColumns]driver.Value
	fixes   *valueFixes
	buf     []byte
	arena   []byte       // the batch's attributes JSON, sliced per row: one allocation per many rows
	lastDay driver.Value // spans of a batch mostly share a day: box it once
	// boxed holds the low-cardinality strings of the batch (providers, models, users)
	// already boxed as driver.Value: boxing each anew costs an allocation per column and row.
	boxed map[string]driver.Value
}

// box returns s as a driver.Value, boxed once per batch.
func (rb *rowBuilder) box(s string) driver.Value {
	if v, ok := rb.boxed[s]; ok {
		return v
	}
	if len(rb.boxed) >= 4096 { // high cardinality after all: stop caching
		return s
	}
	v := driver.Value(s)
	rb.boxed[s] = v
	return v
}

// rest adds an attribute to the JSON of remaining attributes.
func (rb *rowBuilder) rest(k string, val pcommon.Value) {
	if len(rb.buf) > 1 {
		rb.buf = append(rb.buf, ',')
	}
	rb.buf = rb.fixes.appendJSONString(rb.buf, k)
	rb.buf = append(rb.buf, ':')
	rb.buf = rb.fixes.appendJSONValue(rb.buf, val, 0)
}

func (rb *rowBuilder) str(col int, k string, val pcommon.Value) {
	if s, ok := rb.fixes.str(val); ok {
		rb.v[col] = rb.box(s)
	} else {
		rb.rest(k, val)
	}
}

func (rb *rowBuilder) count(col int, k string, val pcommon.Value) {
	if n, ok := rb.fixes.count(val, maxCount); ok {
		rb.v[col] = n
	} else {
		rb.rest(k, val)
	}
}

func (rb *rowBuilder) number(col int, k string, val pcommon.Value, limit float64) {
	if d, ok := rb.fixes.number(val, limit); ok {
		rb.v[col] = d
	} else {
		rb.rest(k, val)
	}
}

// fill maps span to the row's columns.
func (rb *rowBuilder) fill(span ptrace.Span) {
	v := rb.v
	v[colTraceID], v[colSpanID] = idStrings(span.TraceID(), span.SpanID())
	start, end := span.StartTimestamp(), span.EndTimestamp()
	switch {
	case start != 0:
	case end != 0:
		start = end // a span with no start is dated by its end
		rb.fixes.coerced++
	default:
		start = pcommon.NewTimestampFromTime(time.Now()) // undated: dated by arrival
		rb.fixes.coerced++
	}
	st := start.AsTime().UTC()
	v[colStartTime] = st
	day := time.Date(st.Year(), st.Month(), st.Day(), 0, 0, 0, 0, time.UTC)
	if last, ok := rb.lastDay.(time.Time); !ok || !last.Equal(day) {
		rb.lastDay = day
	}
	v[colDay] = rb.lastDay
	if end != 0 {
		v[colEndTime] = end.AsTime().UTC()
		if end >= start {
			v[colDuration] = float64(end-start) / 1e9
		}
	}

	rb.buf = append(rb.buf[:0], '{')
	for k, val := range span.Attributes().All() {
		switch k {
		case string(semconv.GenAIProviderName):
			if s, ok := rb.fixes.str(val); ok {
				v[colProvider] = rb.box(s)
			} else {
				v[colProvider] = val.AsString() // the column is required; keep its text
				rb.fixes.coerced++
			}
		case string(semconv.GenAIOperationName):
			rb.str(colOperation, k, val)
		case string(semconv.GenAIRequestModel):
			rb.str(colRequestModel, k, val)
		case string(semconv.GenAIResponseModel):
			rb.str(colResponseModel, k, val)
		case string(semconv.GenAIResponseID): // unique per call: not worth caching
			if s, ok := rb.fixes.str(val); ok {
				v[colResponseID] = s
			} else {
				rb.rest(k, val)
			}
		case string(semconv.UserID):
			rb.str(colUserID, k, val)
		case string(semconv.ProjectID):
			rb.str(colProjectID, k, val)
		case string(semconv.ActionType):
			rb.str(colActionType, k, val)
		case string(semconv.GenAIUsageInputTokens):
			rb.count(colInputTokens, k, val)
		case string(semconv.GenAIUsageOutputTokens):
			rb.count(colOutputTokens, k, val)
		case string(semconv.GenAIUsageCacheReadInput):
			rb.count(colCacheReadTokens, k, val)
		case string(semconv.GenAIUsageReasoningOutput):
			rb.count(colReasoningTokens, k, val)
		case string(semconv.GenAIRequestStream):
			if b, ok := rb.fixes.boolean(val); ok {
				v[colStreaming] = b
			} else {
				rb.rest(k, val)
			}
		case string(semconv.GenAIResponseTimeToFirstChunk):
			rb.number(colTimeToFirstChunk, k, val, maxSeconds)
		case string(semconv.GenAIResponseFinishReasons):
			if s, ok := rb.fixes.strings(val); ok {
				v[colFinishReasons] = s
			} else {
				rb.rest(k, val)
			}
		case string(semconv.HTTPResponseStatusCode):
			if n, ok := rb.fixes.count(val, 999); ok && n >= 100 {
				v[colStatusCode] = int32(n)
			} else {
				if ok { // a number, but no HTTP status
					rb.fixes.nulled++
				}
				rb.rest(k, val)
			}
		case string(semconv.ErrorType):
			rb.str(colErrorType, k, val)
		case string(semconv.ServerAddress):
			rb.str(colServerAddress, k, val)
		case string(semconv.RateLimitRequestsLimit):
			rb.count(colRequestsLimit, k, val)
		case string(semconv.RateLimitRequestsRemaining):
			rb.count(colRequestsRemaining, k, val)
		case string(semconv.RateLimitRequestsReset):
			rb.number(colRequestsReset, k, val, maxSeconds)
		case string(semconv.RateLimitTokensLimit):
			rb.count(colTokensLimit, k, val)
		case string(semconv.RateLimitTokensRemaining):
			rb.count(colTokensRemaining, k, val)
		case string(semconv.RateLimitTokensReset):
			rb.number(colTokensReset, k, val, maxSeconds)
		case string(semconv.RateLimitRetryAfter):
			rb.number(colRetryAfter, k, val, maxSeconds)
		case string(semconv.RateLimitQuotaID):
			rb.str(colQuotaID, k, val)
		case string(semconv.CostUSD):
			rb.number(colCostUSD, k, val, maxCostUSD)
		case string(semconv.CostStatus):
			rb.str(colCostStatus, k, val)
		default:
			rb.rest(k, val)
		}
	}
	rb.buf = append(rb.buf, '}')
	// The row keeps its own copy, cut from the arena: buf is reused for the next span.
	if cap(rb.arena)-len(rb.arena) < len(rb.buf) {
		rb.arena = make([]byte, 0, max(64<<10, len(rb.buf)))
	}
	start0 := len(rb.arena)
	rb.arena = append(rb.arena, rb.buf...)
	v[colAttributes] = json.RawMessage(rb.arena[start0:len(rb.arena):len(rb.arena)])
}

func traceIDString(id pcommon.TraceID) string { return hex.EncodeToString(id[:]) }
func spanIDString(id pcommon.SpanID) string   { return hex.EncodeToString(id[:]) }

// idStrings returns the hex trace and span id, cut from one allocation.
func idStrings(t pcommon.TraceID, s pcommon.SpanID) (trace, span string) {
	var b [48]byte
	hex.Encode(b[:32], t[:])
	hex.Encode(b[32:], s[:])
	both := string(b[:])
	return both[:32], both[32:]
}

// pushTraces writes the GenAI spans of td in one transaction, with the roll-up.
func (e *duckdbExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	b := convertTraces(td)
	if len(b.rows) > 0 {
		err := e.inTransaction(ctx, func(conn *sql.Conn) error {
			rows, err := dropStoredSpans(ctx, conn, e.sql.storedSpans, b.rows, b.minTime, b.maxTime)
			if err != nil {
				return err
			}
			b.stats.spansDuplicate += int64(len(b.rows) - len(rows))
			b.stats.spansWritten = int64(len(rows))
			if len(rows) == 0 {
				return nil
			}
			if err := appendUsageRows(conn, e.cfg.Tables.UsageLog, rows); err != nil {
				return err
			}
			return upsertDaily(ctx, conn, &e.sql, rows)
		})
		if err != nil {
			return err
		}
	}
	e.stats.record(ctx, "traces", b.stats)
	return nil
}

// dropStoredSpans returns rows without those already stored (query is sql/stored_spans.sql):
// a batch the queue delivers again after a crash or a retry lands once.
func dropStoredSpans(ctx context.Context, conn *sql.Conn, query string, rows []usageRow, from, to time.Time) ([]usageRow, error) {
	var ids strings.Builder
	ids.Grow(len(rows) * 17)
	for _, r := range rows {
		if r.key.span.IsEmpty() {
			continue
		}
		if ids.Len() > 0 {
			ids.WriteByte(',')
		}
		ids.WriteString(r.values[colSpanID].(string))
	}
	if ids.Len() == 0 {
		return rows, nil
	}
	res, err := conn.QueryContext(ctx, query, from, to, ids.String())
	if err != nil {
		return nil, fmt.Errorf("look up stored spans: %w", err)
	}
	defer res.Close()
	stored := map[[2]string]struct{}{}
	for res.Next() {
		var t, s string
		if err := res.Scan(&t, &s); err != nil {
			return nil, fmt.Errorf("look up stored spans: %w", err)
		}
		stored[[2]string{t, s}] = struct{}{}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("look up stored spans: %w", err)
	}
	if len(stored) == 0 {
		return rows, nil
	}
	out := rows[:0:0]
	for _, r := range rows {
		if _, dup := stored[[2]string{r.values[colTraceID].(string), r.values[colSpanID].(string)}]; dup && !r.key.span.IsEmpty() {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// appendUsageRows appends rows to the usage log within the connection's transaction.
func appendUsageRows(conn *sql.Conn, table string, rows []usageRow) error {
	return rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", table, usageColumns[:])
		if err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		for i := range rows {
			if err := app.AppendRow(rows[i].values[:]...); err != nil {
				app.Close()
				return fmt.Errorf("append to %s: span %s: %w", table, rows[i].values[colSpanID], err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		return nil
	})
}
