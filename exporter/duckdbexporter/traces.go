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
	rows            []usageRow
	minTime, maxTim time.Time
	stats           batchStats
}

// convertTraces turns every GenAI span of td into a row. It never fails: values it
// cannot use are NULL (and kept in the attributes JSON), and counted.
func convertTraces(td ptrace.Traces) spanBatch {
	var b spanBatch
	seen := make(map[spanKey]struct{}, td.SpanCount())
	var fixes valueFixes
	buf := make([]byte, 0, 1024)
	for _, rs := range td.ResourceSpans().All() {
		res := rs.Resource().Attributes()
		var resJSON json.RawMessage
		service := driver.Value(nil)
		if v, ok := res.Get(string(semconv.ServiceName)); ok {
			if s, ok := fixes.str(v); ok {
				service = s
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
				var r usageRow
				r.key = key
				buf = fillSpanRow(&r, span, &fixes, buf[:0])
				r.values[colServiceName] = service
				r.values[colResourceAttributes] = resJSON
				start := r.values[colStartTime].(time.Time)
				if b.minTime.IsZero() || start.Before(b.minTime) {
					b.minTime = start
				}
				if start.After(b.maxTim) {
					b.maxTim = start
				}
				b.rows = append(b.rows, r)
			}
		}
	}
	b.stats.coerced, b.stats.nulled, b.stats.repaired = fixes.coerced, fixes.nulled, fixes.repaired
	return b
}

// fillSpanRow maps span to r's columns; attributes without a column, and values a
// column could not take, go to the attributes JSON (built in buf, returned for reuse).
func fillSpanRow(r *usageRow, span ptrace.Span, fixes *valueFixes, buf []byte) []byte {
	v := &r.values
	v[colTraceID] = traceIDString(span.TraceID())
	v[colSpanID] = spanIDString(span.SpanID())
	start, end := span.StartTimestamp(), span.EndTimestamp()
	switch {
	case start != 0:
	case end != 0:
		start = end // a span with no start is dated by its end
		fixes.coerced++
	default:
		start = pcommon.NewTimestampFromTime(time.Now()) // undated: dated by arrival
		fixes.coerced++
	}
	st := start.AsTime().UTC()
	v[colStartTime] = st
	v[colDay] = time.Date(st.Year(), st.Month(), st.Day(), 0, 0, 0, 0, time.UTC)
	if end != 0 {
		v[colEndTime] = end.AsTime().UTC()
		if end >= start {
			v[colDuration] = float64(end-start) / 1e9
		}
	}

	buf = append(buf, '{')
	rest := func(k string, val pcommon.Value) {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = fixes.appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = fixes.appendJSONValue(buf, val, 0)
	}
	setStr := func(col int, k string, val pcommon.Value) {
		if s, ok := fixes.str(val); ok {
			v[col] = s
		} else {
			rest(k, val)
		}
	}
	setCount := func(col int, k string, val pcommon.Value) {
		if n, ok := fixes.count(val, maxCount); ok {
			v[col] = n
		} else {
			rest(k, val)
		}
	}
	setNumber := func(col int, k string, val pcommon.Value, limit float64) {
		if d, ok := fixes.number(val, limit); ok {
			v[col] = d
		} else {
			rest(k, val)
		}
	}
	for k, val := range span.Attributes().All() {
		switch k {
		case string(semconv.GenAIProviderName):
			if s, ok := fixes.str(val); ok {
				v[colProvider] = s
			} else {
				v[colProvider] = val.AsString() // the column is required; keep its text
				fixes.coerced++
			}
		case string(semconv.GenAIOperationName):
			setStr(colOperation, k, val)
		case string(semconv.GenAIRequestModel):
			setStr(colRequestModel, k, val)
		case string(semconv.GenAIResponseModel):
			setStr(colResponseModel, k, val)
		case string(semconv.GenAIResponseID):
			setStr(colResponseID, k, val)
		case string(semconv.UserID):
			setStr(colUserID, k, val)
		case string(semconv.ProjectID):
			setStr(colProjectID, k, val)
		case string(semconv.ActionType):
			setStr(colActionType, k, val)
		case string(semconv.GenAIUsageInputTokens):
			setCount(colInputTokens, k, val)
		case string(semconv.GenAIUsageOutputTokens):
			setCount(colOutputTokens, k, val)
		case string(semconv.GenAIUsageCacheReadInput):
			setCount(colCacheReadTokens, k, val)
		case string(semconv.GenAIUsageReasoningOutput):
			setCount(colReasoningTokens, k, val)
		case string(semconv.GenAIRequestStream):
			if b, ok := fixes.boolean(val); ok {
				v[colStreaming] = b
			} else {
				rest(k, val)
			}
		case string(semconv.GenAIResponseTimeToFirstChunk):
			setNumber(colTimeToFirstChunk, k, val, maxSeconds)
		case string(semconv.GenAIResponseFinishReasons):
			if s, ok := fixes.strings(val); ok {
				v[colFinishReasons] = s
			} else {
				rest(k, val)
			}
		case string(semconv.HTTPResponseStatusCode):
			if n, ok := fixes.count(val, 999); ok && n >= 100 {
				v[colStatusCode] = int32(n)
			} else {
				if ok { // a number, but no HTTP status
					fixes.nulled++
				}
				rest(k, val)
			}
		case string(semconv.ErrorType):
			setStr(colErrorType, k, val)
		case string(semconv.ServerAddress):
			setStr(colServerAddress, k, val)
		case string(semconv.RateLimitRequestsLimit):
			setCount(colRequestsLimit, k, val)
		case string(semconv.RateLimitRequestsRemaining):
			setCount(colRequestsRemaining, k, val)
		case string(semconv.RateLimitRequestsReset):
			setNumber(colRequestsReset, k, val, maxSeconds)
		case string(semconv.RateLimitTokensLimit):
			setCount(colTokensLimit, k, val)
		case string(semconv.RateLimitTokensRemaining):
			setCount(colTokensRemaining, k, val)
		case string(semconv.RateLimitTokensReset):
			setNumber(colTokensReset, k, val, maxSeconds)
		case string(semconv.RateLimitRetryAfter):
			setNumber(colRetryAfter, k, val, maxSeconds)
		case string(semconv.RateLimitQuotaID):
			setStr(colQuotaID, k, val)
		case string(semconv.CostUSD):
			setNumber(colCostUSD, k, val, maxCostUSD)
		case string(semconv.CostStatus):
			setStr(colCostStatus, k, val)
		default:
			rest(k, val)
		}
	}
	buf = append(buf, '}')
	// The row keeps its own copy: buf is reused for the next span.
	v[colAttributes] = json.RawMessage(append([]byte(nil), buf...))
	return buf
}

func traceIDString(id pcommon.TraceID) string { return hex.EncodeToString(id[:]) }
func spanIDString(id pcommon.SpanID) string   { return hex.EncodeToString(id[:]) }

// pushTraces writes the GenAI spans of td in one transaction, with the roll-up.
func (e *duckdbExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	b := convertTraces(td)
	if len(b.rows) > 0 {
		err := e.inTransaction(ctx, func(conn *sql.Conn) error {
			rows, err := dropStoredSpans(ctx, conn, b.rows, b.minTime, b.maxTim)
			if err != nil {
				return err
			}
			b.stats.spansDuplicate += int64(len(b.rows) - len(rows))
			b.stats.spansWritten = int64(len(rows))
			if len(rows) == 0 {
				return nil
			}
			if err := appendUsageRows(conn, rows); err != nil {
				return err
			}
			return upsertDaily(ctx, conn, rows)
		})
		if err != nil {
			return err
		}
	}
	e.stats.record(ctx, "traces", b.stats)
	return nil
}

// storedSpansQuery finds which of a batch's span ids (a comma-separated list) are
// already stored; the time range confines the scan to the row groups that can hold them.
const storedSpansQuery = `SELECT trace_id, span_id FROM ai_usage_log
WHERE start_time BETWEEN $1 AND $2
  AND span_id IN (SELECT unnest(string_split($3, ',')))`

// dropStoredSpans returns rows without those already in ai_usage_log: a batch the
// queue delivers again after a crash or a retry lands once.
func dropStoredSpans(ctx context.Context, conn *sql.Conn, rows []usageRow, from, to time.Time) ([]usageRow, error) {
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
	res, err := conn.QueryContext(ctx, storedSpansQuery, from, to, ids.String())
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

// appendUsageRows appends rows to ai_usage_log within the connection's transaction.
func appendUsageRows(conn *sql.Conn, rows []usageRow) error {
	return rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", "ai_usage_log", usageColumns[:])
		if err != nil {
			return fmt.Errorf("append to ai_usage_log: %w", err)
		}
		for i := range rows {
			if err := app.AppendRow(rows[i].values[:]...); err != nil {
				app.Close()
				return fmt.Errorf("append to ai_usage_log: span %s: %w", rows[i].values[colSpanID], err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("append to ai_usage_log: %w", err)
		}
		return nil
	})
}
