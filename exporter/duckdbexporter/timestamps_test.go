package duckdbexporter

import (
	"context"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The clock of the timestamp tests, and the window it gives.
var (
	clockNow  = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	windowMin = pcommon.NewTimestampFromTime(earliestTime)
	windowMax = pcommon.NewTimestampFromTime(clockNow.Add(maxAhead))
	// year2300 is valid OTLP (a uint64 of nanoseconds) but past an int64's 2262.
	year2300 = pcommon.Timestamp(uint64(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) * 1e9)
)

// rawSpan is a GenAI span with the timestamps exactly as given.
func rawSpan(n uint64, start, end pcommon.Timestamp) ptrace.Traces {
	td := buildTraces(testSpan{n: n, attrs: groqCall()})
	sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	sp.SetStartTimestamp(start)
	sp.SetEndTimestamp(end)
	return td
}

func TestSpanTimestampsAtTheWindowsEdges(t *testing.T) {
	e := startExporter(t, testConfig(t))
	e.now = func() time.Time { return clockNow }
	ctx := context.Background()
	tests := []struct {
		name       string
		start, end pcommon.Timestamp
		// Stored start and end (UTC, as DuckDB prints them), or the rejection.
		wantStart, wantEnd string
		reject             timeVerdict
		coerced, nulled    int64
	}{
		{name: "exactly 2000-01-01", start: windowMin, wantStart: "2000-01-01 00:00:00+00", wantEnd: "NULL"},
		{name: "one ns before 2000", start: windowMin - 1, reject: timeTooOld},
		{name: "one ns after 2000 (stored to the microsecond)", start: windowMin + 1, wantStart: "2000-01-01 00:00:00+00", wantEnd: "NULL"},
		{name: "exactly a day ahead", start: windowMax, wantStart: "2026-11-28 12:00:00+00", wantEnd: "NULL"},
		{name: "one ns more than a day ahead", start: windowMax + 1, reject: timeTooNew},
		{name: "1970", start: pcommon.Timestamp(time.Second), reject: timeTooOld},
		{name: "year 2300", start: year2300, reject: timeTooNew},
		{name: "the largest timestamp", start: math.MaxUint64, end: math.MaxUint64, reject: timeTooNew},
		{name: "no start: dated by its end", end: windowMin + 5000, wantStart: "2000-01-01 00:00:00.000005+00",
			wantEnd: "2000-01-01 00:00:00.000005+00", coerced: 1},
		{name: "no start, no end: dated by its arrival", wantStart: "2026-11-27 12:00:00+00", wantEnd: "NULL", coerced: 1},
		{name: "no start, an end past the window", end: math.MaxUint64, reject: timeTooNew},
		{name: "an end past the window is NULL", start: windowMin, end: math.MaxUint64,
			wantStart: "2000-01-01 00:00:00+00", wantEnd: "NULL", nulled: 1},
		{name: "an end before 2000 is NULL", start: windowMax, end: 1, wantStart: "2026-11-28 12:00:00+00", wantEnd: "NULL", nulled: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td := rawSpan(uint64(i), tt.start, tt.end)
			b := collectSpans(td, newTimeWindow(clockNow), testLimits)
			b.eachRow(nil, func(*usageRow) error { return nil })
			rejected := rejectedOnce(tt.reject)
			if b.stats.spansRejected != rejected || b.stats.coerced != tt.coerced || b.stats.nulled != tt.nulled {
				t.Errorf("rejected %v, coerced %d, nulled %d; want %v, %d, %d", b.stats.spansRejected,
					b.stats.coerced, b.stats.nulled, rejected, tt.coerced, tt.nulled)
			}
			if err := e.pushTraces(ctx, td); err != nil {
				t.Fatal(err)
			}
			got := queryStrings(t, e.db, `SELECT start_time::VARCHAR || ' ' || day::VARCHAR || ' ' || coalesce(end_time::VARCHAR, 'NULL')
FROM ai_usage_log WHERE span_id = ?`, spanIDString(spanID(uint64(i))))
			if tt.reject != timeOK {
				if len(got) != 0 {
					t.Errorf("stored %v, want it rejected", got)
				}
				return
			}
			want := tt.wantStart + " " + tt.wantStart[:10] + " " + tt.wantEnd
			if len(got) != 1 || got[0] != want {
				t.Errorf("stored %v, want %q", got, want)
			}
		})
	}
	// Every stored span is counted once in the roll-up, on its own day.
	assertDailyMatchesLog(t, e)
}

func TestPointTimestampsAtTheWindowsEdges(t *testing.T) {
	e := startExporter(t, testConfig(t))
	e.now = func() time.Time { return clockNow }
	ctx := context.Background()
	tests := []struct {
		name            string
		ts, start       pcommon.Timestamp
		wantTime        string // stored time, or "" when rejected
		wantStart       string
		reject          timeVerdict
		coerced, nulled int64
	}{
		{name: "exactly 2000-01-01", ts: windowMin, wantTime: "2000-01-01 00:00:00+00", wantStart: "NULL"},
		{name: "one ns before 2000", ts: windowMin - 1, reject: timeTooOld},
		{name: "exactly a day ahead", ts: windowMax, start: windowMin, wantTime: "2026-11-28 12:00:00+00",
			wantStart: "2000-01-01 00:00:00+00"},
		{name: "one ns more than a day ahead", ts: windowMax + 1, reject: timeTooNew},
		{name: "year 2300", ts: year2300, reject: timeTooNew},
		{name: "the largest timestamp", ts: math.MaxUint64, reject: timeTooNew},
		{name: "no time: dated by its arrival", wantTime: "2026-11-27 12:00:00+00", wantStart: "NULL", coerced: 1},
		{name: "a start past the window is NULL", ts: windowMin, start: math.MaxUint64, wantTime: "2000-01-01 00:00:00+00",
			wantStart: "NULL", nulled: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := pmetric.NewMetrics()
			m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			m.SetName("edge")
			p := m.SetEmptyGauge().DataPoints().AppendEmpty()
			p.SetIntValue(int64(i)) // one point per case
			p.SetTimestamp(tt.ts)
			p.SetStartTimestamp(tt.start)
			b := convertMetrics(md, newTimeWindow(clockNow), testLimits)
			rejected := rejectedOnce(tt.reject)
			if b.stats.pointsRejected != rejected || b.stats.coerced != tt.coerced || b.stats.nulled != tt.nulled {
				t.Errorf("rejected %v, coerced %d, nulled %d; want %v, %d, %d", b.stats.pointsRejected,
					b.stats.coerced, b.stats.nulled, rejected, tt.coerced, tt.nulled)
			}
			if err := e.pushMetrics(ctx, md); err != nil {
				t.Fatal(err)
			}
			got := queryStrings(t, e.db, `SELECT time::VARCHAR || ' ' || coalesce(start_time::VARCHAR, 'NULL')
FROM ai_metric_gauge WHERE int_value = ?`, i)
			if tt.reject != timeOK {
				if len(got) != 0 {
					t.Errorf("stored %v, want it rejected", got)
				}
				return
			}
			if want := tt.wantTime + " " + tt.wantStart; len(got) != 1 || got[0] != want {
				t.Errorf("stored %v, want %q", got, want)
			}
		})
	}
}

// TestRejectedSpansAreCountedByReason checks the self-metric a rejection lands in.
func TestRejectedSpansAreCountedByReason(t *testing.T) {
	tel, e := startWithTelemetry(t)
	e.now = func() time.Time { return clockNow }
	ctx := context.Background()
	td := rawSpan(1, windowMin-1, 0)
	rawSpan(2, year2300, 0).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	rawSpan(3, math.MaxUint64, 0).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	rawSpan(4, windowMin, 0).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	if err := e.pushTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	md := pmetric.NewMetrics()
	p := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	p.SetTimestamp(1)
	if err := e.pushMetrics(ctx, md); err != nil {
		t.Fatal(err)
	}
	spans := counterPoints(t, tel, metricSpans)
	if spans["rejected/too_old"] != 1 || spans["rejected/too_new"] != 2 || spans["written"] != 1 {
		t.Errorf("spans by outcome/reason: %v", spans)
	}
	if points := counterPoints(t, tel, metricPoints); points["rejected/too_old"] != 1 {
		t.Errorf("points by outcome/reason: %v", points)
	}
}

// rejectedOnce is what one span or point refused by verdict v (or not) counts.
func rejectedOnce(v timeVerdict) (r rejections) {
	if v != timeOK {
		r[v] = 1
	}
	return r
}
