// Package instrumentation records AI provider calls (Groq, Gemini) made
// through any Go SDK as OpenTelemetry spans and metrics: tokens as the
// provider bills them, cost, rate-limit quota and who the call was for.
//
// Link it by wrapping the HTTP transport the SDK uses:
//
//	inst, err := instrumentation.New()
//	httpClient := &http.Client{Transport: inst.Transport(nil)}
//	client := openai.NewClient(option.WithHTTPClient(httpClient), ...)
//
// Every request to a recognised provider endpoint becomes one CLIENT span
// per HTTP attempt, named "{gen_ai.operation.name} {gen_ai.request.model}",
// with the attributes and metric points named in package semconv. Other
// requests pass through untouched. Response bodies stream through unbuffered;
// the app reads exactly the bytes, status and errors it would without us.
//
// The transport sends each request as the app made it: it adds no header, and in
// particular injects no trace context (traceparent, tracestate, baggage) into
// provider requests, which would hand trace ids to a third party that does not
// join the trace. The span is the child of the span in the request's context, if
// any, and is put in the context the base transport sees, so that a base
// transport that does propagate (otelhttp) propagates it.
package instrumentation

import (
	"fmt"
	"maps"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// ScopeName is the instrumentation scope of the spans and metrics recorded.
const ScopeName = "github.com/aiusage/aiusage/instrumentation"

// Instrumentation records provider calls. It is safe for concurrent use; one
// per process is typical, shared by every client's transport.
type Instrumentation struct {
	tracer          trace.Tracer
	hosts           map[string]Provider
	prices          *pricing.Table
	tracker         *ratelimit.Tracker
	guard           *quota.Guard // nil: calls are never refused
	content         bool
	userIDOnMetrics bool

	tokenUsage       metric.Int64Histogram
	duration         metric.Float64Histogram
	timeToFirstChunk metric.Float64Histogram
	exceeded         metric.Int64Counter
	costUSD          metric.Float64Counter
	unpriced         metric.Int64Counter
	audioSeconds     metric.Float64Counter
	series           cache[seriesKey, *seriesSets]
	spans            cache[spanKey, *spanStart]
	batches          batchLedger // batch results recorded, counted once
}

// New returns an Instrumentation configured by opts.
func New(opts ...Option) (*Instrumentation, error) {
	c := config{hosts: maps.Clone(wellKnownHosts)}
	for _, o := range opts {
		if err := o.apply(&c); err != nil {
			return nil, fmt.Errorf("instrumentation: %w", err)
		}
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	if c.prices == nil {
		c.prices = pricing.Default()
	}
	qo := ratelimit.Options{Limits: c.limits, Threshold: c.alertThreshold, OnAlert: c.onAlert, Horizon: c.horizon, Now: c.clock}
	i := &Instrumentation{
		tracer: c.tracerProvider.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version()), trace.WithSchemaURL(semconv.SchemaURL)),
		hosts:           c.hosts,
		prices:          c.prices,
		tracker:         ratelimit.NewTracker(qo),
		guard:           c.guard,
		content:         c.content,
		userIDOnMetrics: c.userIDOnMetrics,
	}
	meter := c.meterProvider.Meter(ScopeName,
		metric.WithInstrumentationVersion(Version()), metric.WithSchemaURL(semconv.SchemaURL))
	if err := i.newInstruments(meter); err != nil {
		return nil, fmt.Errorf("instrumentation: %w", err)
	}
	if err := i.newForecastGauges(meter); err != nil {
		return nil, fmt.Errorf("instrumentation: %w", err)
	}
	return i, nil
}

// Quota returns the current quota state per provider, model, resource and
// window: from the last rate-limit headers, or estimated from the calls seen
// against the limits set WithLimits.
func (i *Instrumentation) Quota() []quota.State { return i.tracker.States() }

// QuotaHandler serves Quota as JSON, for app UIs that show how much quota is left.
func (i *Instrumentation) QuotaHandler() http.Handler { return i.tracker.Handler() }
