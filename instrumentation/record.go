package instrumentation

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Record records a call made without the transport (a client that bypasses
// net/http, a batch job, a cached replay): the same span and metric points a
// transported call gets. Attribution is read from ctx.
func (i *Instrumentation) Record(ctx context.Context, c Call) {
	if c.End.IsZero() {
		c.End = time.Now()
	}
	if c.Start.IsZero() {
		c.Start = c.End
	}
	_, span := i.start(ctx, &c)
	i.end(ctx, span, &c)
}

// start starts the span of c. The attributes known before the response are
// given at start so that samplers see them.
func (i *Instrumentation) start(ctx context.Context, c *Call) (context.Context, trace.Span) {
	op := c.operation()
	name := op
	if c.RequestModel != "" {
		name = op + " " + c.RequestModel
	}
	attrs := [...]attribute.KeyValue{
		semconv.GenAIOperationName.String(op),
		semconv.GenAIProviderName.String(string(c.Provider)),
		semconv.GenAIRequestModel.String(c.RequestModel),
		semconv.GenAIRequestStream.Bool(c.Stream),
		semconv.ServerAddress.String(c.ServerAddress),
		semconv.ServerPort.Int(c.ServerPort),
	}
	n := len(attrs)
	if c.ServerAddress == "" {
		n -= 2 // both server attributes last
	}
	return i.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(c.Start),
		trace.WithAttributes(attrs[:n]...))
}

// end records the outcome of c on span and as metric points, then ends span.
// It is the one place both the transport and Record finish a call.
func (i *Instrumentation) end(ctx context.Context, span trace.Span, c *Call) {
	attribution, _ := AttributionFrom(ctx)
	costModel := c.ResponseModel
	if costModel == "" {
		costModel = c.RequestModel
	}
	quotaModel := c.RequestModel
	if quotaModel == "" {
		quotaModel = c.ResponseModel
	}

	// Quota state first: the tracker's view must include this call when an
	// alert fires or the gauges are next collected.
	if c.RateLimit.HasRequests || c.RateLimit.HasTokens {
		i.tracker.ObserveHeaders(string(c.Provider), quotaModel, c.RateLimit)
	}
	// Calls the provider accepted count toward estimated quotas; transport
	// failures and rejections (4xx, 5xx) do not.
	if c.StatusCode < 400 && (c.StatusCode != 0 || c.ErrorType == "") {
		var tokens int64
		if c.Usage != nil {
			tokens = c.Usage.InputTokens + c.Usage.OutputTokens
		}
		i.tracker.ObserveCall(string(c.Provider), quotaModel, tokens)
	}

	attrs := make([]attribute.KeyValue, 0, 32)
	if c.ResponseModel != "" {
		attrs = append(attrs, semconv.GenAIResponseModel.String(c.ResponseModel))
	}
	if c.ResponseID != "" {
		attrs = append(attrs, semconv.GenAIResponseID.String(c.ResponseID))
	}
	if len(c.FinishReasons) > 0 {
		attrs = append(attrs, semconv.GenAIResponseFinishReasons.StringSlice(c.FinishReasons))
	}
	if c.StatusCode != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode.Int(c.StatusCode))
	}
	if c.Stream && c.TimeToFirstChunk > 0 {
		attrs = append(attrs, semconv.GenAIResponseTimeToFirstChunk.Float64(c.TimeToFirstChunk.Seconds()))
	}
	if attribution.UserID != "" {
		attrs = append(attrs, semconv.UserID.String(attribution.UserID))
	}
	if attribution.ProjectID != "" {
		attrs = append(attrs, semconv.ProjectID.String(attribution.ProjectID))
	}
	if attribution.Action != "" {
		attrs = append(attrs, semconv.ActionType.String(attribution.Action))
	}
	if u := c.Usage; u != nil {
		attrs = append(attrs,
			semconv.GenAIUsageInputTokens.Int64(u.InputTokens),
			semconv.GenAIUsageOutputTokens.Int64(u.OutputTokens),
			semconv.GenAIUsageCacheReadInput.Int64(u.CacheReadInputTokens),
			semconv.GenAIUsageReasoningOutput.Int64(u.ReasoningOutputTokens))
	}
	if len(c.Breakdown) > 0 {
		attrs = append(attrs, semconv.UsageBreakdown.String(breakdownJSON(c.Breakdown)))
	}
	attrs = appendRateLimit(attrs, c)

	var cost float64
	priced := false
	if c.Usage != nil {
		cost, priced = i.price(c, costModel)
		if priced {
			attrs = append(attrs, semconv.CostUSD.Float64(cost), semconv.CostStatus.String(semconv.CostPriced))
		} else {
			attrs = append(attrs, semconv.CostStatus.String(semconv.CostUnpriced))
		}
	}
	if c.ErrorType != "" {
		attrs = append(attrs, semconv.ErrorType.String(c.ErrorType))
		desc := c.ErrorType
		if i.content && c.ErrorMessage != "" {
			desc = c.ErrorMessage
		}
		span.SetStatus(codes.Error, desc)
	}
	if c.ErrorCode != "" {
		attrs = append(attrs, semconv.ErrorCode.String(c.ErrorCode))
	}
	span.SetAttributes(attrs...)
	span.End(trace.WithTimestamp(c.End))

	i.recordMetrics(ctx, c, attribution, costModel, quotaModel, cost, priced)
}

// recordMetrics records c's metric points. Metric attributes leave out the
// per-call ones (response id, user unless opted in) to keep series few.
func (i *Instrumentation) recordMetrics(ctx context.Context, c *Call, a Attribution, costModel, quotaModel string, cost float64, priced bool) {
	base := make([]attribute.KeyValue, 0, 12)
	base = append(base,
		semconv.GenAIOperationName.String(c.operation()),
		semconv.GenAIProviderName.String(string(c.Provider)),
		semconv.GenAIRequestModel.String(c.RequestModel))
	if c.ResponseModel != "" {
		base = append(base, semconv.GenAIResponseModel.String(c.ResponseModel))
	}
	if c.ServerAddress != "" {
		base = append(base, semconv.ServerAddress.String(c.ServerAddress), semconv.ServerPort.Int(c.ServerPort))
	}
	if a.ProjectID != "" {
		base = append(base, semconv.ProjectID.String(a.ProjectID))
	}
	if a.Action != "" {
		base = append(base, semconv.ActionType.String(a.Action))
	}
	if i.userIDOnMetrics && a.UserID != "" {
		base = append(base, semconv.UserID.String(a.UserID))
	}
	// attribute.NewSet sorts its argument in place: each set is built from a
	// copy so that base keeps its order and contents.
	scratch := make([]attribute.KeyValue, 0, len(base)+1)
	set := func(extra ...attribute.KeyValue) attribute.Set {
		scratch = append(append(scratch[:0], base...), extra...)
		return attribute.NewSet(scratch...)
	}
	if u := c.Usage; u != nil {
		i.tokenUsage.Record(ctx, u.InputTokens, metric.WithAttributeSet(set(semconv.GenAITokenType.String(semconv.TokenTypeInput))))
		i.tokenUsage.Record(ctx, u.OutputTokens, metric.WithAttributeSet(set(semconv.GenAITokenType.String(semconv.TokenTypeOutput))))
	}
	baseSet := set()
	durSet := baseSet
	if c.ErrorType != "" {
		durSet = set(semconv.ErrorType.String(c.ErrorType))
	}
	i.duration.Record(ctx, c.End.Sub(c.Start).Seconds(), metric.WithAttributeSet(durSet))
	if c.Stream && c.TimeToFirstChunk > 0 {
		i.timeToFirstChunk.Record(ctx, c.TimeToFirstChunk.Seconds(), metric.WithAttributeSet(baseSet))
	}
	if c.Usage != nil {
		if priced {
			i.costUSD.Add(ctx, cost, metric.WithAttributeSet(baseSet))
		} else {
			i.unpriced.Add(ctx, 1, metric.WithAttributes(
				semconv.GenAIProviderName.String(string(c.Provider)),
				semconv.GenAIResponseModel.String(costModel)))
		}
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

// price prices c's usage: by the sub-models of a compound model when the
// provider lists them (each billed at its own price), else by model.
func (i *Instrumentation) price(c *Call, model string) (float64, bool) {
	if len(c.Breakdown) > 0 {
		var total float64
		for _, m := range c.Breakdown {
			usd, ok := i.prices.Cost(string(c.Provider), m.Model, pricingUsage(m.Usage), c.Start)
			if !ok {
				return 0, false
			}
			total += usd
		}
		return total, true
	}
	return i.prices.Cost(string(c.Provider), model, pricingUsage(*c.Usage), c.Start)
}

func pricingUsage(u Usage) pricing.Usage {
	return pricing.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens}
}

// appendRateLimit adds the quota attributes of c: Groq's headers (requests per
// day, tokens per minute), retry-after and a Gemini 429's QuotaFailure.
func appendRateLimit(attrs []attribute.KeyValue, c *Call) []attribute.KeyValue {
	h := &c.RateLimit
	if h.HasRequests {
		attrs = append(attrs,
			semconv.RateLimitRequestsLimit.Int64(h.RequestsLimit),
			semconv.RateLimitRequestsRemaining.Int64(h.RequestsRemaining),
			semconv.RateLimitRequestsReset.Float64(h.RequestsReset.Seconds()))
	}
	if h.HasTokens {
		attrs = append(attrs,
			semconv.RateLimitTokensLimit.Int64(h.TokensLimit),
			semconv.RateLimitTokensRemaining.Int64(h.TokensRemaining),
			semconv.RateLimitTokensReset.Float64(h.TokensReset.Seconds()))
	}
	retry, hasRetry := h.RetryAfter, h.HasRetryAfter
	if e := c.Exceeded; e != nil {
		if e.QuotaID != "" {
			attrs = append(attrs, semconv.RateLimitQuotaID.String(e.QuotaID))
		}
		if e.QuotaMetric != "" {
			attrs = append(attrs, semconv.RateLimitQuotaMetric.String(e.QuotaMetric))
		}
		if v, err := strconv.ParseInt(e.QuotaValue, 10, 64); err == nil {
			attrs = append(attrs, semconv.RateLimitQuotaValue.Int64(v))
		}
		if !hasRetry && e.RetryDelay > 0 {
			retry, hasRetry = e.RetryDelay, true
		}
	}
	if hasRetry {
		attrs = append(attrs, semconv.RateLimitRetryAfter.Float64(retry.Seconds()))
	}
	return attrs
}

// breakdownEntry is one element of semconv.UsageBreakdown.
type breakdownEntry struct {
	Model        string `json:"model"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
}

// breakdownJSON renders per-sub-model usage as semconv.UsageBreakdown documents it.
func breakdownJSON(ms []ModelUsage) string {
	entries := make([]breakdownEntry, len(ms))
	for n, m := range ms {
		entries[n] = breakdownEntry{Model: m.Model, InputTokens: m.Usage.InputTokens, OutputTokens: m.Usage.OutputTokens}
	}
	b, err := json.Marshal(entries)
	if err != nil { // cannot happen for strings and integers
		return "[]"
	}
	return string(b)
}
