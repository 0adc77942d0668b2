package instrumentation

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

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
	if i.audioSeconds, err = m.Float64Counter(semconv.MetricAudioSeconds,
		metric.WithDescription("Seconds of audio sent to speech-to-text."),
		metric.WithUnit(semconv.UnitSeconds)); err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricAudioSeconds, err)
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
			attrs := quotaAttributes(s)
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

// recordMetrics records c's metric points. Metric attributes leave out the
// per-call ones (response id, user unless opted in) to keep series few.
func (i *Instrumentation) recordMetrics(ctx context.Context, c *Call, a Attribution, quotaModel string, cost float64, costStatus string) {
	key := seriesKey{
		operation: c.operation(), provider: string(c.Provider),
		requestModel: c.RequestModel, responseModel: c.ResponseModel,
		server: c.ServerAddress, port: c.ServerPort,
		attribution: a,
		errorType:   c.ErrorType,
	}
	if !i.userIDOnMetrics {
		key.attribution.UserID = ""
	}
	sets := i.series.get(key, seriesKey.sets)
	if u := c.Usage; u != nil {
		// Speech-to-text and text-to-speech bill no tokens: no token points of 0.
		if !billedWithoutTokens(u) {
			i.tokenUsage.Record(ctx, u.InputTokens, sets.input...)
			i.tokenUsage.Record(ctx, u.OutputTokens, sets.output...)
		}
		if u.AudioSeconds > 0 {
			i.audioSeconds.Add(ctx, u.AudioSeconds, sets.add...)
		}
	}
	i.duration.Record(ctx, c.End.Sub(c.Start).Seconds(), sets.duration...)
	if c.Stream && c.TimeToFirstChunk > 0 {
		i.timeToFirstChunk.Record(ctx, c.TimeToFirstChunk.Seconds(), sets.record...)
	}
	switch costStatus {
	case semconv.CostPriced, semconv.CostPartiallyPriced: // partially: the part priced
		i.costUSD.Add(ctx, cost, sets.add...)
	case semconv.CostUnpriced:
		i.unpriced.Add(ctx, 1, sets.add...)
	}
	if c.StatusCode == 429 || c.Exceeded != nil {
		ex := make([]attribute.KeyValue, 0, 5)
		ex = append(ex,
			semconv.GenAIProviderName.String(string(c.Provider)),
			semconv.GenAIRequestModel.String(quotaModel))
		if e := c.Exceeded; e != nil {
			if e.Resource != "" {
				ex = append(ex, semconv.RateLimitResource.String(e.Resource))
			}
			if e.Window != "" {
				ex = append(ex, semconv.RateLimitWindow.String(e.Window))
			}
			if e.QuotaID != "" {
				ex = append(ex, semconv.RateLimitQuotaID.String(e.QuotaID))
			}
		}
		i.exceeded.Add(ctx, 1, metric.WithAttributes(ex...))
	}
}

// seriesKey is what the attributes of a call's metric points depend on.
type seriesKey struct {
	operation, provider, requestModel, responseModel string
	server                                           string
	port                                             int
	attribution                                      Attribution // user only WithUserIDOnMetrics
	errorType                                        string
}

// seriesSets are the measurement options of one seriesKey's metric points,
// ready to pass: building them per call would allocate each time.
type seriesSets struct {
	record        []metric.RecordOption // base attributes: time to first chunk
	add           []metric.AddOption    // base attributes: cost, unpriced calls
	duration      []metric.RecordOption // base + error.type
	input, output []metric.RecordOption // base + gen_ai.token.type
}

// sets builds the attribute sets of k.
func (k seriesKey) sets() *seriesSets {
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs,
		semconv.GenAIOperationName.String(k.operation),
		semconv.GenAIProviderName.String(k.provider),
		semconv.GenAIRequestModel.String(k.requestModel))
	if k.responseModel != "" {
		attrs = append(attrs, semconv.GenAIResponseModel.String(k.responseModel))
	}
	if k.server != "" {
		attrs = append(attrs, semconv.ServerAddress.String(k.server), semconv.ServerPort.Int(k.port))
	}
	attrs = k.attribution.appendAttributes(attrs)
	// attribute.NewSet sorts its argument in place: each set is built from a
	// copy so that attrs keeps its order and contents.
	with := func(extra ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(append(make([]attribute.KeyValue, 0, len(attrs)+1), attrs...), extra...)...)
	}
	record := func(set attribute.Set) []metric.RecordOption {
		return []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	base := with()
	s := &seriesSets{
		record: record(base),
		add:    []metric.AddOption{metric.WithAttributeSet(base)},
		input:  record(with(semconv.GenAITokenType.String(semconv.TokenTypeInput))),
		output: record(with(semconv.GenAITokenType.String(semconv.TokenTypeOutput))),
	}
	s.duration = s.record
	if k.errorType != "" {
		s.duration = record(with(semconv.ErrorType.String(k.errorType)))
	}
	return s
}
