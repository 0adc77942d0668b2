package duckdbexporter

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The time policy, for spans and metric points alike: a span's start or a point's time
// is stored only if it lies in [earliestTime, arrival + maxAhead]. Outside that window
// the span or point is not stored but counted (outcome "rejected", reason too_old or
// too_new): a date the exporter cannot store faithfully (OTLP allows up to year 2554;
// nanoseconds since 1970 in an int64 end in 2262) or that is surely wrong (a clock at
// 1970, a date decades ahead) would put the row on a day it never happened, and
// retention would then delete it as old. A time of 0 means "not sent": a span without
// a start is dated by its end, one without either by its arrival, a point without a
// time by its arrival (counted as coerced). An end time or a point's start time
// outside the window is stored as NULL (counted as nulled): the row keeps its date.
var earliestTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// maxAhead is how far ahead of the exporter's clock a time may be: clocks disagree.
const maxAhead = 24 * time.Hour

// timeWindow is the range of times a batch accepts, fixed when the batch arrives.
type timeWindow struct {
	arrival  time.Time // dates what was sent undated
	min, max pcommon.Timestamp
}

func newTimeWindow(now time.Time) timeWindow {
	return timeWindow{
		arrival: now.UTC().Truncate(time.Microsecond),
		min:     pcommon.NewTimestampFromTime(earliestTime),
		max:     pcommon.NewTimestampFromTime(now.Add(maxAhead)),
	}
}

// timeVerdict is whether a time may be stored, and if not why.
type timeVerdict uint8

const (
	timeOK timeVerdict = iota
	timeTooOld
	timeTooNew
)

// check judges a time that was sent (not 0).
func (w timeWindow) check(ts pcommon.Timestamp) timeVerdict {
	switch {
	case ts < w.min:
		return timeTooOld
	case ts > w.max:
		return timeTooNew
	}
	return timeOK
}

// storedTime is ts as DuckDB keeps it: UTC, whole microseconds. ts must have passed check,
// so it fits an int64 of nanoseconds.
func storedTime(ts pcommon.Timestamp) time.Time {
	return time.Unix(0, int64(ts)).UTC().Truncate(time.Microsecond)
}

// spanStart is when span started: its start time, else (not sent) its end time, else
// its arrival; dated reports whether it carried a start time. A verdict other than
// timeOK means the span is not stored.
func (w timeWindow) spanStart(span ptrace.Span) (start time.Time, dated bool, v timeVerdict) {
	ts := span.StartTimestamp()
	if ts == 0 {
		ts = span.EndTimestamp()
	}
	if ts == 0 {
		return w.arrival, false, timeOK
	}
	if v := w.check(ts); v != timeOK {
		return time.Time{}, false, v
	}
	return storedTime(ts), span.StartTimestamp() != 0, timeOK
}

// optionalTime is a time a row may do without (a span's end, a point's start): the time,
// or ok false when it was not sent or lies outside the window (nulled reports the latter).
func (w timeWindow) optionalTime(ts pcommon.Timestamp) (t time.Time, ok, nulled bool) {
	if ts == 0 {
		return time.Time{}, false, false
	}
	if w.check(ts) != timeOK {
		return time.Time{}, false, true
	}
	return storedTime(ts), true, false
}
