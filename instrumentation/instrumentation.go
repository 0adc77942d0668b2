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
package instrumentation

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

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
	tracker         *quota.Tracker
	content         bool
	userIDOnMetrics bool

	tokenUsage       metric.Int64Histogram
	duration         metric.Float64Histogram
	timeToFirstChunk metric.Float64Histogram
	exceeded         metric.Int64Counter
	costUSD          metric.Float64Counter
	unpriced         metric.Int64Counter
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
	qo := quota.Options{Limits: c.limits, Threshold: c.alertThreshold, OnAlert: c.onAlert}
	i := &Instrumentation{
		tracer:          c.tracerProvider.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		hosts:           c.hosts,
		prices:          c.prices,
		tracker:         quota.NewTracker(qo),
		content:         c.content,
		userIDOnMetrics: c.userIDOnMetrics,
	}
	if err := i.newInstruments(c.meterProvider.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))); err != nil {
		return nil, fmt.Errorf("instrumentation: %w", err)
	}
	return i, nil
}

// newInstruments creates the metric instruments and the quota gauges' callback.
func (i *Instrumentation) newInstruments(m metric.Meter) error {
	var err error
	if i.tokenUsage, err = m.Int64Histogram(semconv.MetricTokenUsage,
		metric.WithDescription("Number of input and output tokens used."),
		metric.WithUnit(semconv.UnitToken),
		metric.WithExplicitBucketBoundaries(semconv.TokenUsageBuckets...)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricTokenUsage, err)
	}
	if i.duration, err = m.Float64Histogram(semconv.MetricOperationDuration,
		metric.WithDescription("GenAI operation duration."),
		metric.WithUnit(semconv.UnitSeconds),
		metric.WithExplicitBucketBoundaries(semconv.DurationBuckets...)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricOperationDuration, err)
	}
	if i.timeToFirstChunk, err = m.Float64Histogram(semconv.MetricTimeToFirstChunk,
		metric.WithDescription("Time from the request to the first chunk of a streamed response."),
		metric.WithUnit(semconv.UnitSeconds),
		metric.WithExplicitBucketBoundaries(semconv.DurationBuckets...)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricTimeToFirstChunk, err)
	}
	if i.exceeded, err = m.Int64Counter(semconv.MetricRateLimitExceeded,
		metric.WithDescription("Calls rejected by a provider rate limit (HTTP 429)."),
		metric.WithUnit(semconv.UnitRequest)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitExceeded, err)
	}
	if i.costUSD, err = m.Float64Counter(semconv.MetricCost,
		metric.WithDescription("Cost of provider calls by the price table."),
		metric.WithUnit(semconv.UnitUSD)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricCost, err)
	}
	if i.unpriced, err = m.Int64Counter(semconv.MetricCostUnpriced,
		metric.WithDescription("Calls with token usage whose model has no price."),
		metric.WithUnit(semconv.UnitRequest)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricCostUnpriced, err)
	}
	limit, err := m.Int64ObservableGauge(semconv.MetricRateLimitLimit,
		metric.WithDescription("Quota limit of a rate-limit window."))
	if err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitLimit, err)
	}
	remaining, err := m.Int64ObservableGauge(semconv.MetricRateLimitRemaining,
		metric.WithDescription("Quota remaining in a rate-limit window."))
	if err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitRemaining, err)
	}
	utilization, err := m.Float64ObservableGauge(semconv.MetricRateLimitUtilization,
		metric.WithDescription("Share of a rate-limit window's quota used."),
		metric.WithUnit(semconv.UnitRatio))
	if err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitUtilization, err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, s := range i.tracker.States() {
			attrs := metric.WithAttributes(
				semconv.GenAIProviderName.String(s.Provider),
				semconv.GenAIRequestModel.String(s.Model),
				semconv.RateLimitResource.String(s.Resource),
				semconv.RateLimitWindow.String(s.Window),
				semconv.RateLimitSource.String(s.Source))
			o.ObserveInt64(limit, s.Limit, attrs)
			o.ObserveInt64(remaining, s.Remaining, attrs)
			o.ObserveFloat64(utilization, s.Utilization, attrs)
		}
		return nil
	}, limit, remaining, utilization)
	if err != nil {
		return fmt.Errorf("register quota gauges: %w", err)
	}
	return nil
}

// Quota returns the current quota state per provider, model, resource and
// window: from the last rate-limit headers, or estimated from the calls seen
// against the limits set WithLimits.
func (i *Instrumentation) Quota() []quota.State { return i.tracker.States() }

// QuotaHandler serves Quota as JSON, for app UIs that show how much quota is left.
func (i *Instrumentation) QuotaHandler() http.Handler { return i.tracker.Handler() }
