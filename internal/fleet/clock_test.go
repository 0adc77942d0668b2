package fleet

import (
	"context"
	"sync/atomic"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// appClock is the injected clock of the test app: every span and metric point it
// exports is dated back by its offset, so that the workload lands on days that have
// already closed and the gateways seal them at once.
type appClock struct{ offset atomic.Int64 }

func (c *appClock) set(back time.Duration) { c.offset.Store(int64(back)) }
func (c *appClock) back() time.Duration    { return time.Duration(c.offset.Load()) }

// spanExporter dates the spans it passes on by the clock.
type spanExporter struct {
	sdktrace.SpanExporter
	clock *appClock
}

func (e spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	back := e.clock.back()
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = datedSpan{ReadOnlySpan: s, back: back}
	}
	return e.SpanExporter.ExportSpans(ctx, out)
}

// datedSpan is a span moved back in time; its events move with it.
type datedSpan struct {
	sdktrace.ReadOnlySpan
	back time.Duration
}

func (s datedSpan) StartTime() time.Time { return s.ReadOnlySpan.StartTime().Add(-s.back) }
func (s datedSpan) EndTime() time.Time   { return s.ReadOnlySpan.EndTime().Add(-s.back) }
func (s datedSpan) Events() []sdktrace.Event {
	events := s.ReadOnlySpan.Events()
	out := make([]sdktrace.Event, len(events))
	for i, e := range events {
		e.Time = e.Time.Add(-s.back)
		out[i] = e
	}
	return out
}

// metricExporter dates the points it passes on by the clock.
type metricExporter struct {
	sdkmetric.Exporter
	clock *appClock
}

func (e metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	back := e.clock.back()
	for i := range rm.ScopeMetrics {
		for j := range rm.ScopeMetrics[i].Metrics {
			m := &rm.ScopeMetrics[i].Metrics[j]
			m.Data = dated(m.Data, back)
		}
	}
	return e.Exporter.Export(ctx, rm)
}

func dated(data metricdata.Aggregation, back time.Duration) metricdata.Aggregation {
	move := func(start, t *time.Time) {
		if !start.IsZero() {
			*start = start.Add(-back)
		}
		*t = t.Add(-back)
	}
	switch d := data.(type) {
	case metricdata.Gauge[int64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.Gauge[float64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.Sum[int64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.Sum[float64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.Histogram[int64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.Histogram[float64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.ExponentialHistogram[int64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	case metricdata.ExponentialHistogram[float64]:
		for i := range d.DataPoints {
			move(&d.DataPoints[i].StartTime, &d.DataPoints[i].Time)
		}
	}
	return data
}
