package instrumentation

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
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
	r := record{Call: c}
	_, span := i.start(ctx, &r)
	i.end(ctx, span, &r)
}

// spanAttrs pools the slices end collects a span's attributes in.
var spanAttrs = sync.Pool{New: func() any {
	s := make([]attribute.KeyValue, 0, 28)
	return &s
}}

var clientKind = trace.WithSpanKind(trace.SpanKindClient)

// start starts the span of c. The attributes known before the response, the
// attribution in ctx among them, are given at start so that samplers and span
// processors see them.
func (i *Instrumentation) start(ctx context.Context, c *record) (context.Context, trace.Span) {
	attribution, _ := AttributionFrom(ctx)
	s := i.spans.get(spanKey{
		operation: c.operation(), provider: c.Provider, requestModel: c.RequestModel, stream: c.Stream,
		server: c.ServerAddress, port: c.ServerPort, attribution: attribution,
	}, spanKey.start)
	if o := c.spanOptions; o != nil {
		o.start = [...]trace.SpanStartOption{clientKind, s.attributes, trace.WithTimestamp(c.Start)}
		return i.tracer.Start(ctx, s.name, o.start[:]...)
	}
	return i.tracer.Start(ctx, s.name, clientKind, s.attributes, trace.WithTimestamp(c.Start))
}

// spanOptions is storage for the options a span is started and ended with. An
// attempt holds one: passed from there, the options need no slice allocated per
// call, and a Record call's record stays on the stack.
type spanOptions struct {
	start [3]trace.SpanStartOption
	end   [1]trace.SpanEndOption
}

// spanKey is what a span's name and start attributes depend on.
type spanKey struct {
	operation    string
	provider     Provider
	requestModel string
	stream       bool
	server       string
	port         int
	attribution  Attribution
}

// spanStart is the name and start attributes of one spanKey's spans, ready to
// pass: building them per call would allocate each time.
type spanStart struct {
	name       string
	attributes trace.SpanStartEventOption
}

// start builds the name and start attributes of k's spans.
func (k spanKey) start() *spanStart {
	name := k.operation
	if k.requestModel != "" {
		name += " " + k.requestModel
	}
	attrs := make([]attribute.KeyValue, 0, 9)
	attrs = append(attrs,
		semconv.GenAIOperationName.String(k.operation),
		semconv.GenAIProviderName.String(string(k.provider)),
		semconv.GenAIRequestModel.String(k.requestModel),
		semconv.GenAIRequestStream.Bool(k.stream))
	if k.server != "" {
		attrs = append(attrs, semconv.ServerAddress.String(k.server), semconv.ServerPort.Int(k.port))
	}
	attrs = k.attribution.appendAttributes(attrs)
	return &spanStart{name: name, attributes: trace.WithAttributes(attrs...)}
}

// end records the outcome of c on span and as metric points, then ends span.
// It is the one place both the transport and Record finish a call.
func (i *Instrumentation) end(ctx context.Context, span trace.Span, c *record) {
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
	if c.rateLimit.HasRequests || c.rateLimit.HasTokens || c.rateLimit.HasAudioSeconds {
		i.tracker.ObserveHeaders(c.Provider, quotaModel, c.rateLimit)
	}
	// Calls the provider accepted count toward estimated quotas; transport
	// failures and rejections (4xx, 5xx) do not.
	if c.StatusCode < 400 && (c.StatusCode != 0 || c.ErrorType == "") && !c.noQuota {
		var tokens int64
		if c.Usage != nil {
			// Per-minute token quotas count input (Gemini's
			// GenerateContentInputTokensPerModelPerMinute).
			tokens = c.Usage.InputTokens
		}
		i.tracker.ObserveCall(c.Provider, quotaModel, tokens)
		if c.Usage != nil && c.Usage.AudioSeconds > 0 {
			i.tracker.ObserveAudio(c.Provider, quotaModel, c.Usage.AudioSeconds)
		}
	}
	// A 429 naming its quota is the provider's word that the quota is used up,
	// whatever was counted here (free-tier limits change under the app).
	if e := c.Exceeded; e != nil && e.Resource != "" && e.Window != "" {
		retry := e.RetryDelay
		if retry <= 0 {
			retry = c.rateLimit.RetryAfter
		}
		i.tracker.ObserveExceeded(c.Provider, quotaModel, e.Resource, e.Window, retry)
	}

	bill := i.cost(&c.Call, costModel)
	if c.free && c.ErrorType == "" {
		// Not billed: its price is known to be nothing, which is not a silent 0.
		bill = callBill{Status: semconv.CostPriced}
	}
	if span.IsRecording() {
		i.setSpanAttributes(span, c, &bill)
	}
	if o := c.spanOptions; o != nil {
		o.end[0] = trace.WithTimestamp(c.End)
		span.End(o.end[:]...)
	} else {
		span.End(trace.WithTimestamp(c.End))
	}

	i.recordMetrics(ctx, &c.Call, attribution, quotaModel, bill.USD, bill.Status)
}

// callBill is what the instrumentation records of a call's cost.
type callBill struct {
	USD float64
	// Status is semconv.CostPriced, CostPartiallyPriced, CostUnpriced, or "" for a
	// failed call that carried no usage and is not billed.
	Status  string
	Tier    string          // the tier whose rates priced the call
	Missing pricing.UnitSet // units used without a rate
	// billedSeconds is the audio duration billed, after the price's minimum; 0 when
	// the usage said it already or the call had no audio.
	billedSeconds float64
}

// cost prices c. A successful call whose response carried no usage (a stream without
// its usage chunk) is unpriced: its cost is unknown, not 0.
func (i *Instrumentation) cost(c *Call, model string) callBill {
	switch {
	case c.Usage != nil:
		return i.price(c, model)
	case c.ErrorType == "":
		return callBill{Status: semconv.CostUnpriced}
	}
	return callBill{}
}

// price prices c's usage at the served tier: by the sub-models of a compound model
// when the provider lists them (each billed at its own price), else by model.
func (i *Instrumentation) price(c *Call, model string) callBill {
	tier := c.ResponseServiceTier
	if tier == "" {
		tier = c.RequestServiceTier
	}
	if len(c.Breakdown) == 0 {
		b := i.prices.Bill(string(c.Provider), model, tier, c.Usage, c.Start)
		cb := callBill{USD: b.USD, Status: b.Status, Tier: b.Tier, Missing: b.Missing}
		if s := b.Quantity[pricing.AudioBilledSeconds]; s != c.Usage.AudioBilledSeconds && b.UnitUSD[pricing.AudioBilledSeconds] != 0 {
			cb.billedSeconds = s
		}
		return cb
	}
	// A compound call is priced if every sub-model is, unpriced if none is.
	var cb callBill
	var priced, unpriced int
	for n := range c.Breakdown {
		m := &c.Breakdown[n]
		b := i.prices.Bill(string(c.Provider), m.Model, tier, &m.Usage, c.Start)
		cb.USD += b.USD
		cb.Missing |= b.Missing
		if cb.Tier == "" {
			cb.Tier = b.Tier
		}
		switch b.Status {
		case semconv.CostPriced:
			priced++
		case semconv.CostUnpriced:
			unpriced++
			q := pricing.QuantitiesOf(&m.Usage) // every unit it used is unpriced
			for u := range pricing.NumUnits {
				if q[u] != 0 && !u.Derived() {
					cb.Missing = cb.Missing.Add(u)
				}
			}
		}
	}
	switch {
	case unpriced == len(c.Breakdown):
		cb.Status, cb.USD = semconv.CostUnpriced, 0
	case priced == len(c.Breakdown):
		cb.Status = semconv.CostPriced
	default:
		cb.Status = semconv.CostPartiallyPriced
	}
	return cb
}

// setSpanAttributes sets the attributes known once the call is over: the
// response, usage, quota, cost and error.
func (i *Instrumentation) setSpanAttributes(span trace.Span, c *record, bill *callBill) {
	buf := spanAttrs.Get().(*[]attribute.KeyValue)
	attrs := (*buf)[:0]
	if c.ResponseModel != "" {
		attrs = append(attrs, semconv.GenAIResponseModel.String(c.ResponseModel))
	}
	if c.ResponseID != "" {
		attrs = append(attrs, semconv.GenAIResponseID.String(c.ResponseID))
	}
	if len(c.FinishReasons) > 0 {
		attrs = append(attrs, finishReasonsAttribute(c.FinishReasons))
	}
	if c.StatusCode != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode.Int(c.StatusCode))
	}
	if c.Stream && c.TimeToFirstChunk > 0 {
		attrs = append(attrs, semconv.GenAIResponseTimeToFirstChunk.Float64(c.TimeToFirstChunk.Seconds()))
	}
	if c.Usage != nil {
		if bill.billedSeconds != 0 { // the minimum billed: record it, leaving the app's Usage as it is
			u := *c.Usage
			u.AudioBilledSeconds = bill.billedSeconds
			attrs = u.Attributes(attrs)
		} else {
			attrs = c.Usage.Attributes(attrs)
		}
	}
	if c.RequestServiceTier != "" {
		attrs = append(attrs, semconv.RequestServiceTier.String(c.RequestServiceTier))
	}
	if c.ResponseServiceTier != "" {
		attrs = append(attrs, semconv.ResponseServiceTier.String(c.ResponseServiceTier))
	}
	if len(c.Breakdown) > 0 {
		attrs = append(attrs, semconv.UsageBreakdown.String(breakdownJSON(c.Breakdown)))
	}
	attrs = appendRateLimit(attrs, c)
	attrs = appendBatch(attrs, c.batch)

	attrs = appendCost(attrs, bill)
	if c.ErrorType != "" {
		attrs = append(attrs, semconv.ErrorType.String(c.ErrorType))
		desc := c.ErrorType
		if i.content && c.errorMessage != "" {
			desc = c.errorMessage
		}
		span.SetStatus(codes.Error, desc)
	}
	if c.ErrorCode != "" {
		attrs = append(attrs, semconv.ErrorCode.String(c.ErrorCode))
	}
	if i.content && c.inputMessages != "" {
		attrs = append(attrs, semconv.GenAIInputMessages.String(c.inputMessages))
	}
	if i.content && c.systemInstructions != "" {
		attrs = append(attrs, semconv.GenAISystemInstructions.String(c.systemInstructions))
	}
	span.SetAttributes(attrs...)
	clear(attrs) // the span copied them; drop references before pooling
	*buf = attrs[:0]
	spanAttrs.Put(buf)
}

// finishReasons holds the attribute of each single finish reason seen: most
// calls have one of a few, and building a slice attribute allocates.
var finishReasons cache[string, attribute.KeyValue]

// maxCachedReason bounds the finish reasons kept: the provider writes them.
const maxCachedReason = 64

// finishReasonsAttribute returns gen_ai.response.finish_reasons of reasons.
func finishReasonsAttribute(reasons []string) attribute.KeyValue {
	if len(reasons) != 1 || len(reasons[0]) > maxCachedReason {
		return semconv.GenAIResponseFinishReasons.StringSlice(reasons)
	}
	return finishReasons.get(reasons[0], func(r string) attribute.KeyValue {
		return semconv.GenAIResponseFinishReasons.StringSlice([]string{r})
	})
}

// appendCost adds the cost attributes of b: the cost of what was priced, the status,
// the tier priced and the units without a rate; gen_ai.usage.cost only when the whole
// call is priced, as tools reading it see no status.
func appendCost(attrs []attribute.KeyValue, b *callBill) []attribute.KeyValue {
	switch b.Status {
	case "":
		return attrs
	case semconv.CostPriced:
		attrs = append(attrs, semconv.CostUSD.Float64(b.USD), semconv.GenAIUsageCost.Float64(b.USD))
	case semconv.CostPartiallyPriced:
		attrs = append(attrs, semconv.CostUSD.Float64(b.USD))
	}
	attrs = append(attrs, semconv.CostStatus.String(b.Status))
	if b.Tier != "" && b.Status != semconv.CostUnpriced {
		attrs = append(attrs, semconv.CostServiceTier.String(b.Tier))
	}
	if b.Missing != 0 {
		attrs = append(attrs, semconv.CostMissingUnit.String(b.Missing.String()))
	}
	return attrs
}

// appendRateLimit adds the quota attributes of c: Groq's headers (requests per
// day, tokens per minute), retry-after and a Gemini 429's QuotaFailure.
func appendRateLimit(attrs []attribute.KeyValue, c *record) []attribute.KeyValue {
	h := &c.rateLimit
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
	if h.HasAudioSeconds {
		attrs = append(attrs,
			semconv.RateLimitAudioSecondsLimit.Int64(h.AudioSecondsLimit),
			semconv.RateLimitAudioSecondsRemaining.Int64(h.AudioSecondsRemaining),
			semconv.RateLimitAudioSecondsReset.Float64(h.AudioSecondsReset.Seconds()))
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
