package instrumentation

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestRecord records calls made without HTTP and checks they get the same
// span, cost and metric treatment as transported ones.
func TestRecord(t *testing.T) {
	start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name              string
		call              Call
		opts              []Option
		wantName          string
		wantAttrs         map[attribute.Key]any
		wantCost          float64
		wantUnpriced      int64
		wantUserOnMetrics bool
	}{{
		name: "priced groq call",
		call: Call{Provider: Groq, RequestModel: "openai/gpt-oss-120b", ResponseModel: "openai/gpt-oss-120b",
			StatusCode: 200, Start: start, End: start.Add(800 * time.Millisecond),
			Usage: &Usage{InputTokens: 1000, OutputTokens: 500, CacheReadInputTokens: 400}},
		wantName: "chat openai/gpt-oss-120b",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:    "chat",
			semconv.GenAIUsageInputTokens: 1000,
			semconv.CostStatus:            "priced",
			semconv.CostUSD:               usd(600, 0.15) + usd(400, 0.075) + usd(500, 0.60),
			semconv.GenAIUsageCost:        usd(600, 0.15) + usd(400, 0.075) + usd(500, 0.60),
			semconv.CostServiceTier:       "standard",
			semconv.CostMissingUnit:       nil,
			semconv.RequestServiceTier:    nil,
			semconv.ServerAddress:         nil,
		},
		wantCost: usd(600, 0.15) + usd(400, 0.075) + usd(500, 0.60),
	}, {
		name: "unknown model is unpriced, never 0",
		call: Call{Provider: Gemini, RequestModel: "gemini-9-ultra", Start: start, End: start.Add(time.Second),
			Usage: &Usage{InputTokens: 10, OutputTokens: 20}},
		wantName: "generate_content gemini-9-ultra",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName: "generate_content",
			semconv.CostStatus:         "unpriced",
			semconv.CostUSD:            nil,
			semconv.GenAIUsageCost:     nil,
			semconv.CostServiceTier:    nil,
		},
		wantUnpriced: 1,
	}, {
		name: "gemini 2.5 pro long-context tier",
		call: Call{Provider: Gemini, RequestModel: "gemini-2.5-pro", ResponseModel: "gemini-2.5-pro", Start: start, End: start,
			Usage: &Usage{InputTokens: 250_000, OutputTokens: 1000}},
		wantAttrs: map[attribute.Key]any{semconv.CostUSD: usd(250_000, 2.50) + usd(1000, 15.00)},
		wantCost:  usd(250_000, 2.50) + usd(1000, 15.00),
	}, {
		name: "served tier priced, both tiers recorded",
		call: Call{Provider: Gemini, RequestModel: "gemini-3.5-flash", ResponseModel: "gemini-3.5-flash", Start: start, End: start,
			RequestServiceTier: "priority", ResponseServiceTier: "flex",
			Usage: &Usage{InputTokens: 1000, OutputTokens: 100}},
		wantAttrs: map[attribute.Key]any{
			semconv.RequestServiceTier:  "priority",
			semconv.ResponseServiceTier: "flex",
			semconv.CostServiceTier:     "flex",
			semconv.CostUSD:             usd(1000, 0.75) + usd(100, 4.50),
		},
		wantCost: usd(1000, 0.75) + usd(100, 4.50),
	}, {
		name: "a tier without rows is priced as standard, which the span says",
		call: Call{Provider: Gemini, RequestModel: "gemini-2.5-flash", Start: start, End: start, ResponseServiceTier: "priority",
			Usage: &Usage{InputTokens: 1000, OutputTokens: 100}},
		wantAttrs: map[attribute.Key]any{
			semconv.ResponseServiceTier: "priority",
			semconv.CostServiceTier:     "standard",
			semconv.CostUSD:             usd(1000, 0.30) + usd(100, 2.50),
		},
		wantCost: usd(1000, 0.30) + usd(100, 2.50),
	}, {
		name: "a 3-second transcription records the 10 seconds billed",
		call: Call{Provider: Groq, Operation: "transcription", RequestModel: "whisper-large-v3", Start: start, End: start,
			Usage: &Usage{AudioSeconds: 3}},
		wantAttrs: map[attribute.Key]any{
			semconv.UsageAudioSeconds:       3.0,
			semconv.UsageAudioBilledSeconds: 10.0,
			semconv.CostUSD:                 10 * 0.111 / 3600,
			semconv.CostStatus:              "priced",
		},
		wantCost: 10 * 0.111 / 3600,
	}, {
		name: "a unit without a rate: partially priced, the unit named, no gen_ai.usage.cost",
		call: Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", Start: start, End: start,
			Usage: &Usage{InputTokens: 1000, InputCharacters: 300}},
		wantAttrs: map[attribute.Key]any{
			semconv.CostStatus:           "partially_priced",
			semconv.CostMissingUnit:      "input_characters",
			semconv.CostUSD:              usd(1000, 0.05),
			semconv.GenAIUsageCost:       nil,
			semconv.UsageInputCharacters: 300,
		},
		wantCost: usd(1000, 0.05),
	}, {
		name: "compound model priced by its sub-models",
		call: Call{Provider: Groq, RequestModel: "compound-beta", ResponseModel: "groq/compound", Start: start, End: start,
			Usage: &Usage{InputTokens: 3000, OutputTokens: 300},
			Breakdown: []ModelUsage{
				{Model: "openai/gpt-oss-120b", Usage: Usage{InputTokens: 2000, OutputTokens: 200}},
				{Model: "llama-3.1-8b-instant", Usage: Usage{InputTokens: 1000, OutputTokens: 100}},
			}},
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIResponseModel: "groq/compound",
			semconv.UsageBreakdown:     `[{"model":"openai/gpt-oss-120b","input_tokens":2000,"output_tokens":200},{"model":"llama-3.1-8b-instant","input_tokens":1000,"output_tokens":100}]`,
			semconv.CostUSD:            usd(2000, 0.15) + usd(200, 0.60) + usd(1000, 0.05) + usd(100, 0.08),
		},
		wantCost: usd(2000, 0.15) + usd(200, 0.60) + usd(1000, 0.05) + usd(100, 0.08),
	}, {
		name: "compound model with an unpriced sub-model: partially priced",
		call: Call{Provider: Groq, RequestModel: "compound-beta", ResponseModel: "groq/compound", Start: start, End: start,
			Usage: &Usage{InputTokens: 3000, OutputTokens: 300},
			Breakdown: []ModelUsage{
				{Model: "openai/gpt-oss-120b", Usage: Usage{InputTokens: 2000, OutputTokens: 200}},
				{Model: "no-such-model", Usage: Usage{InputTokens: 1000}},
			}},
		wantAttrs: map[attribute.Key]any{
			semconv.CostStatus:      "partially_priced",
			semconv.CostMissingUnit: "input_tokens",
			semconv.CostUSD:         usd(2000, 0.15) + usd(200, 0.60),
		},
		wantCost: usd(2000, 0.15) + usd(200, 0.60),
	}, {
		name: "succeeded without token counts: unpriced, never 0",
		call: Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", Stream: true, StatusCode: 200, Start: start, End: start},
		wantAttrs: map[attribute.Key]any{
			semconv.CostStatus:            "unpriced",
			semconv.CostUSD:               nil,
			semconv.GenAIUsageInputTokens: nil,
		},
		wantUnpriced: 1,
	}, {
		name: "rate limited, no usage: no cost at all",
		call: Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", StatusCode: 429, ErrorType: "429", ErrorCode: "rate_limit_exceeded",
			Start: start, End: start,
			Exceeded: &Exceeded{Resource: semconv.ResourceRequests, Window: semconv.WindowDay, RetryDelay: 7 * time.Second}},
		wantAttrs: map[attribute.Key]any{
			semconv.ErrorType:           "429",
			semconv.ErrorCode:           "rate_limit_exceeded",
			semconv.RateLimitRetryAfter: 7.0,
			semconv.CostStatus:          nil,
		},
	}, {
		name:              "user id on metrics only when opted in",
		call:              Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", Start: start, End: start, Usage: &Usage{InputTokens: 1, OutputTokens: 1}},
		opts:              []Option{WithUserIDOnMetrics()},
		wantAttrs:         map[attribute.Key]any{semconv.UserID: "u-7"},
		wantCost:          usd(1, 0.05) + usd(1, 0.08),
		wantUserOnMetrics: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts...)
			ctx := WithAttribution(context.Background(), Attribution{UserID: "u-7", ProjectID: "p-1"})
			h.inst.Record(ctx, tt.call)
			s := h.span(t)
			if tt.wantName != "" && s.Name != tt.wantName {
				t.Errorf("span name %q, want %q", s.Name, tt.wantName)
			}
			if !s.StartTime.Equal(tt.call.Start) || !s.EndTime.Equal(tt.call.End) {
				t.Errorf("span %v..%v, want %v..%v", s.StartTime, s.EndTime, tt.call.Start, tt.call.End)
			}
			wantAttrs(t, attrs(s), tt.wantAttrs)
			ms := h.metrics(t)
			cost, _ := ms[semconv.MetricCost].Data.(metricdata.Sum[float64])
			var total float64
			for _, dp := range cost.DataPoints {
				total += dp.Value
				if _, ok := dp.Attributes.Value(semconv.UserID); ok != tt.wantUserOnMetrics {
					t.Errorf("user.id on cost point: %v, want %v", ok, tt.wantUserOnMetrics)
				}
				if v, _ := dp.Attributes.Value(semconv.ProjectID); v.AsString() != "p-1" {
					t.Errorf("cost point project %q, want p-1", v.AsString())
				}
			}
			if !near(total, tt.wantCost) {
				t.Errorf("%s = %v, want %v", semconv.MetricCost, total, tt.wantCost)
			}
			unpriced, _ := ms[semconv.MetricCostUnpriced].Data.(metricdata.Sum[int64])
			var n int64
			for _, dp := range unpriced.DataPoints {
				n += dp.Value
			}
			if n != tt.wantUnpriced {
				t.Errorf("%s = %d, want %d", semconv.MetricCostUnpriced, n, tt.wantUnpriced)
			}
		})
	}
}

// TestQuotaFromTransportedCalls checks that Groq's headers reach the
// tracker: Quota(), the gauges and the alert.
func TestQuotaFromTransportedCalls(t *testing.T) {
	srv := providerServer(t, map[string]reply{"/openai/v1/chat/completions": {file: "groq_chat.json", header: groqHeaders}})
	var alerts []quota.Alert
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq),
		WithQuotaAlert(0.05, func(a quota.Alert) { alerts = append(alerts, a) }))
	client := newGroqHTTPClient(h)
	for range 2 {
		postChat(t, client, srv.URL+"/openai/v1/chat/completions", `{"model":"openai/gpt-oss-120b","messages":[]}`)
	}
	states := map[string]quota.State{}
	for _, s := range h.inst.Quota() {
		states[s.Resource+"/"+s.Window] = s
	}
	req, tok := states[semconv.ResourceRequests+"/"+semconv.WindowDay], states[semconv.ResourceTokens+"/"+semconv.WindowMinute]
	if req.Limit != 1000 || req.Remaining != 998 || req.Source != semconv.SourceHeader || req.Model != "openai/gpt-oss-120b" {
		t.Errorf("requests/day state %+v, want 998 of 1000 from headers", req)
	}
	if tok.Limit != 8000 || tok.Remaining != 7544 {
		t.Errorf("tokens/minute state %+v, want 7544 of 8000", tok)
	}
	// Tokens are 5.7 % used: over the 5 % threshold, alerted once though seen twice.
	if len(alerts) != 1 || alerts[0].State.Resource != semconv.ResourceTokens {
		t.Errorf("alerts %+v, want one for tokens", alerts)
	}
	if v, ok := quotaPoint[int64](t, h, semconv.MetricRateLimitRemaining, semconv.ResourceRequests, semconv.WindowDay, ""); !ok || v != 998 {
		t.Errorf("%s requests/1d point = %d, %v; want 998", semconv.MetricRateLimitRemaining, v, ok)
	}
}

// TestQuotaEstimatedForGemini counts Gemini calls, which carry no quota
// headers, against the limits the app configured.
func TestQuotaEstimatedForGemini(t *testing.T) {
	const path = "/v1beta/models/gemini-2.5-flash:generateContent"
	srv := providerServer(t, map[string]reply{path: {file: "gemini_generate.json"}})
	var alerts []quota.Alert
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Gemini),
		WithLimits(quota.Limit{Provider: Gemini, Model: "gemini-2.5-flash", RequestsPerMinute: 4, RequestsPerDay: 250, TokensPerMinute: 100_000}),
		WithQuotaAlert(0.5, func(a quota.Alert) { alerts = append(alerts, a) }))
	for range 3 {
		postChat(t, newGroqHTTPClient(h), srv.URL+path, `{"contents":[]}`)
	}
	var rpm, tpm quota.State
	for _, s := range h.inst.Quota() {
		switch {
		case s.Resource == semconv.ResourceRequests && s.Window == semconv.WindowMinute:
			rpm = s
		case s.Resource == semconv.ResourceTokens && s.Window == semconv.WindowMinute:
			tpm = s
		}
	}
	if rpm.Limit != 4 || rpm.Remaining != 1 || rpm.Source != semconv.SourceEstimate {
		t.Errorf("requests/minute %+v, want 1 of 4 left, estimated", rpm)
	}
	// Gemini's per-minute token quota counts input: 3 calls of 94 prompt + 4610 tool-use prompt tokens.
	if want := int64(100_000 - 3*(94+4610)); tpm.Remaining != want || tpm.Source != semconv.SourceEstimate {
		t.Errorf("tokens/minute %+v, want %d left, estimated", tpm, want)
	}
	if len(alerts) != 1 || alerts[0].State.Window != semconv.WindowMinute {
		t.Errorf("alerts %+v, want one for requests per minute", alerts)
	}
	if v, ok := quotaPoint[float64](t, h, semconv.MetricRateLimitUtilization, semconv.ResourceRequests, semconv.WindowMinute, semconv.SourceEstimate); !ok || !near(v, 0.75) {
		t.Errorf("%s estimated requests/1m point = %g, %v; want 0.75", semconv.MetricRateLimitUtilization, v, ok)
	}
}

// TestSampledOutCallsStillCount keeps metrics (tokens, cost) complete when the
// app samples traces out.
func TestSampledOutCallsStillCount(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	inst, err := New(
		WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSyncer(spans))),
		WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{inst: inst, spans: spans, reader: reader}
	inst.Record(context.Background(), Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", Usage: &Usage{InputTokens: 100, OutputTokens: 10}})
	if n := len(spans.GetSpans()); n != 0 {
		t.Fatalf("%d spans exported, want none (sampled out)", n)
	}
	cost, _ := h.metrics(t)[semconv.MetricCost].Data.(metricdata.Sum[float64])
	if len(cost.DataPoints) != 1 || !near(cost.DataPoints[0].Value, usd(100, 0.05)+usd(10, 0.08)) {
		t.Errorf("%s points %+v, want one of %v", semconv.MetricCost, cost.DataPoints, usd(100, 0.05)+usd(10, 0.08))
	}
	checkTokenMetrics(t, h, 100, 10)
}

// TestQuotaExhaustedByRecordedCall checks which delay ends an exhausted minute quota:
// Gemini's RetryInfo, else the Retry-After header, else the minute.
func TestQuotaExhaustedByRecordedCall(t *testing.T) {
	tests := []struct {
		name      string
		exceeded  Exceeded
		rateLimit ratelimit.Headers
		wantFor   time.Duration // 0: not exhausted
	}{
		{"retry info", Exceeded{Resource: semconv.ResourceTokens, Window: semconv.WindowMinute, RetryDelay: 30 * time.Second},
			ratelimit.Headers{RetryAfter: 5 * time.Second, HasRetryAfter: true}, 30 * time.Second},
		{"retry-after header", Exceeded{Resource: semconv.ResourceTokens, Window: semconv.WindowMinute},
			ratelimit.Headers{RetryAfter: 20 * time.Second, HasRetryAfter: true}, 20 * time.Second},
		{"no delay", Exceeded{Resource: semconv.ResourceTokens, Window: semconv.WindowMinute}, ratelimit.Headers{}, time.Minute},
		{"quota unknown", Exceeded{QuotaID: "SomethingNew"}, ratelimit.Headers{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, WithLimits(quota.Limit{Provider: Gemini, TokensPerMinute: 1000}))
			before := time.Now()
			// As the transport records a 429: its headers are what only the transport sees.
			r := record{rateLimit: tt.rateLimit, Call: Call{Provider: Gemini, RequestModel: "gemini-2.5-flash", StatusCode: 429,
				ErrorType: "429", ErrorCode: "RESOURCE_EXHAUSTED", Exceeded: &tt.exceeded, Start: before, End: before}}
			ctx, span := h.inst.start(context.Background(), &r)
			h.inst.end(ctx, span, &r)
			after := time.Now()
			states := h.inst.Quota()
			if tt.wantFor == 0 {
				if len(states) != 0 {
					t.Errorf("states %+v, want none: nothing counted, no quota named", states)
				}
				return
			}
			if len(states) != 1 {
				t.Fatalf("states %+v, want tokens/1m only", states)
			}
			s := states[0]
			if s.Remaining != 0 || s.Utilization != 1 || s.ResetAt.Before(before.Add(tt.wantFor).Truncate(time.Second)) || s.ResetAt.After(after.Add(tt.wantFor)) {
				t.Errorf("%+v, want exhausted until %s after the call", s, tt.wantFor)
			}
		})
	}
}
