package duckdbexporter

import (
	"encoding/json"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// fuzzKeys are the attributes the conversion treats specially, and one it does not.
var fuzzKeys = []string{
	string(semconv.GenAIProviderName), string(semconv.GenAIRequestModel), string(semconv.GenAIUsageInputTokens),
	string(semconv.GenAIRequestStream), string(semconv.GenAIResponseFinishReasons),
	string(semconv.HTTPResponseStatusCode), string(semconv.RateLimitTokensReset), string(semconv.CostUSD),
	string(semconv.UserID), "custom",
}

// FuzzConvertTraces feeds attribute values of every type and shape, and timestamps of
// every size, to the span conversion: it must not panic, JSON columns must be valid
// JSON, strings valid UTF-8, typed numbers within their bounds, and a span is either
// stored on the UTC day of a start time within the window or counted as rejected.
func FuzzConvertTraces(f *testing.F) {
	now := uint64(clockNow.UnixNano())
	f.Add(uint8(2), uint8(0), "12", int64(0), 0.0, false, now, now+1e9)
	f.Add(uint8(2), uint8(2), "", int64(0), 12.5, false, uint64(0), uint64(0))
	f.Add(uint8(5), uint8(1), "", int64(-429), 0.0, false, uint64(math.MaxUint64), now)
	f.Add(uint8(7), uint8(2), "", int64(0), math.Inf(1), false, uint64(1), uint64(math.MaxUint64))
	f.Add(uint8(9), uint8(0), "a\xffb\"\\\n\x01", int64(0), 0.0, true, uint64(windowMin)-1, uint64(windowMax))
	f.Add(uint8(4), uint8(4), "stop", int64(3), 0.0, true, uint64(year2300), uint64(0))
	f.Add(uint8(0), uint8(5), "x", int64(1), 1.0, true, uint64(windowMax)+1, uint64(windowMin))
	f.Fuzz(func(t *testing.T, key, kind uint8, s string, i int64, d float64, b bool, start, end uint64) {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr(string(semconv.ServiceName), s)
		span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		span.SetSpanID(pcommon.SpanID{1})
		span.SetStartTimestamp(pcommon.Timestamp(start))
		span.SetEndTimestamp(pcommon.Timestamp(end))
		attrs := span.Attributes()
		attrs.PutStr(string(semconv.GenAIProviderName), semconv.ProviderGroq)
		k := fuzzKeys[int(key)%len(fuzzKeys)]
		switch kind % 6 {
		case 0:
			attrs.PutStr(k, s)
		case 1:
			attrs.PutInt(k, i)
		case 2:
			attrs.PutDouble(k, d)
		case 3:
			attrs.PutBool(k, b)
		case 4:
			sl := attrs.PutEmptySlice(k)
			sl.AppendEmpty().SetStr(s)
			sl.AppendEmpty().SetInt(i)
			sl.AppendEmpty().SetEmptyMap().PutDouble(s, d)
		case 5:
			m := attrs.PutEmptyMap(k)
			m.PutStr(s, s)
			m.PutEmptyBytes("b").FromRaw([]byte(s))
		}
		batch := convertTracesAt(td, clockNow)
		if len(batch.rows)+int(batch.stats.spansRejected.total()) != 1 {
			t.Fatalf("%d rows and %d rejected, want one of them", len(batch.rows), batch.stats.spansRejected.total())
		}
		if len(batch.rows) == 0 {
			return
		}
		st, _ := batch.rows[0][colStartTime].(time.Time)
		day, _ := batch.rows[0][colDay].(time.Time)
		if st.Before(earliestTime) || st.After(clockNow.Add(maxAhead)) || !day.Equal(utcDay(st)) {
			t.Errorf("stored start %v on day %v, outside the window or on another day", st, day)
		}
		for col, v := range batch.rows[0] {
			switch x := v.(type) {
			case json.RawMessage:
				if !json.Valid(x) {
					t.Errorf("%s: invalid JSON %q", usageColumns[col].name, x)
				}
			case string:
				if !utf8.ValidString(x) || len(x) > maxStringBytes {
					t.Errorf("%s: %q is not valid UTF-8 of at most %d bytes", usageColumns[col].name, x, maxStringBytes)
				}
			case int64:
				if x < 0 || x > maxCount {
					t.Errorf("%s: %d out of bounds", usageColumns[col].name, x)
				}
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
					t.Errorf("%s: %v is not a usable number", usageColumns[col].name, x)
				}
			}
		}
	})
}
