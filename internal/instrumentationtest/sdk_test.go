package instrumentationtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestOpenAISDK drives the real openai-go client against a local server
// standing in for Groq and for Gemini's OpenAI-compatible endpoint.
func TestOpenAISDK(t *testing.T) {
	tests := []struct {
		name      string
		provider  instrumentation.Provider
		basePath  string
		model     string
		stream    bool
		reply     reply
		wantText  string
		wantAttrs map[attribute.Key]any
		wantIn    int64
		wantOut   int64
		wantCost  float64
	}{{
		name:     "groq chat",
		provider: instrumentation.Groq, basePath: "/openai/v1", model: "openai/gpt-oss-120b",
		reply:    reply{file: "groq_chat.json", header: groqHeaders},
		wantText: "The capital of France is Paris.",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:            "chat",
			semconv.GenAIProviderName:             "groq",
			semconv.GenAIRequestModel:             "openai/gpt-oss-120b",
			semconv.GenAIResponseModel:            "openai/gpt-oss-120b",
			semconv.GenAIResponseID:               "chatcmpl-5b1c7e2a",
			semconv.GenAIResponseFinishReasons:    []string{"stop"},
			semconv.GenAIRequestStream:            false,
			semconv.GenAIUsageInputTokens:         336,
			semconv.GenAIUsageOutputTokens:        120,
			semconv.GenAIUsageCacheReadInput:      256,
			semconv.GenAIUsageReasoningOutput:     80,
			semconv.HTTPResponseStatusCode:        200,
			semconv.RateLimitRequestsLimit:        1000,
			semconv.RateLimitRequestsRemaining:    998,
			semconv.RateLimitRequestsReset:        172.8,
			semconv.RateLimitTokensLimit:          8000,
			semconv.RateLimitTokensRemaining:      7544,
			semconv.RateLimitTokensReset:          3.42,
			semconv.CostStatus:                    "priced",
			semconv.ErrorType:                     nil,
			semconv.GenAIResponseTimeToFirstChunk: nil,
		},
		wantIn: 336, wantOut: 120,
		// 80 uncached input at 0.15, 256 cached at 0.075, 120 output at 0.60.
		wantCost: usd(80, 0.15) + usd(256, 0.075) + usd(120, 0.60),
	}, {
		name:     "groq stream with usage twice",
		provider: instrumentation.Groq, basePath: "/openai/v1", model: "llama-3.1-8b-instant", stream: true,
		reply:    reply{file: "groq_stream.sse", header: withContentType(groqHeaders, "text/event-stream"), chunkSep: "\n\n"},
		wantText: "Paris is the capital.",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:         "chat",
			semconv.GenAIRequestModel:          "llama-3.1-8b-instant",
			semconv.GenAIResponseModel:         "llama-3.1-8b-instant",
			semconv.GenAIResponseID:            "chatcmpl-9e4d",
			semconv.GenAIResponseFinishReasons: []string{"stop"},
			semconv.GenAIRequestStream:         true,
			semconv.GenAIUsageInputTokens:      42,
			semconv.GenAIUsageOutputTokens:     9,
			semconv.CostStatus:                 "priced",
			semconv.ErrorType:                  nil,
		},
		wantIn: 42, wantOut: 9,
		wantCost: usd(42, 0.05) + usd(9, 0.08),
	}, {
		name:     "gemini openai-compatible",
		provider: instrumentation.Gemini, basePath: "/v1beta/openai", model: "gemini-2.5-flash",
		reply: reply{file: "groq_chat.json", header: map[string]string{"Content-Type": "application/json"}},
		// The body names its own model; the price follows the response model.
		wantText: "The capital of France is Paris.",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:     "chat",
			semconv.GenAIProviderName:      "gcp.gemini",
			semconv.GenAIRequestModel:      "gemini-2.5-flash",
			semconv.GenAIResponseModel:     "openai/gpt-oss-120b",
			semconv.CostStatus:             "unpriced",
			semconv.CostUSD:                nil,
			semconv.RateLimitRequestsLimit: nil,
		},
		wantIn: 336, wantOut: 120,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providerServer(t, map[string]reply{tt.basePath + "/chat/completions": tt.reply})
			h := newHarness(t, instrumentation.WithHost(hostOf(t, srv.URL), tt.provider))
			client := openai.NewClient(
				option.WithBaseURL(srv.URL+tt.basePath),
				option.WithAPIKey("gsk_test_secret"),
				option.WithMaxRetries(0),
				option.WithHTTPClient(&http.Client{Transport: h.inst.Transport(nil)}))
			params := openai.ChatCompletionNewParams{
				Model:    tt.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the capital of France?")},
			}
			ctx := instrumentation.WithAttribution(context.Background(), instrumentation.Attribution{UserID: "u-42", ProjectID: "atlas", Action: "qa"})
			var text string
			if tt.stream {
				params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				s := client.Chat.Completions.NewStreaming(ctx, params)
				for s.Next() {
					if ch := s.Current(); len(ch.Choices) > 0 {
						text += ch.Choices[0].Delta.Content
					}
				}
				if err := s.Err(); err != nil {
					t.Fatalf("stream: %v", err)
				}
				_ = s.Close()
			} else {
				resp, err := client.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatalf("chat: %v", err)
				}
				text = resp.Choices[0].Message.Content
			}
			if text != tt.wantText {
				t.Errorf("app read %q, want %q", text, tt.wantText)
			}

			s := h.span(t)
			if want := "chat " + tt.model; s.Name != want {
				t.Errorf("span name %q, want %q", s.Name, want)
			}
			if s.SpanKind != trace.SpanKindClient {
				t.Errorf("span kind %v, want client", s.SpanKind)
			}
			got := attrs(s)
			wantAttrs(t, got, tt.wantAttrs)
			wantAttrs(t, got, map[attribute.Key]any{
				semconv.UserID:        "u-42",
				semconv.ProjectID:     "atlas",
				semconv.ActionType:    "qa",
				semconv.ServerAddress: "127.0.0.1",
			})
			if tt.wantCost != 0 {
				wantAttrs(t, got, map[attribute.Key]any{semconv.CostUSD: tt.wantCost})
			}
			if tt.stream {
				if v, ok := got[semconv.GenAIResponseTimeToFirstChunk]; !ok || v.AsFloat64() <= 0 {
					t.Errorf("time_to_first_chunk = %v, want > 0", v.Emit())
				}
			}
			checkTokenMetrics(t, h, tt.wantIn, tt.wantOut)
		})
	}
}

// TestGenaiSDK drives the real google.golang.org/genai client against a
// local server standing in for the Gemini API.
func TestGenaiSDK(t *testing.T) {
	srv := providerServer(t, map[string]reply{
		"/v1beta/models/gemini-2.5-flash:generateContent":       {file: "gemini_generate.json", header: map[string]string{"Content-Type": "application/json"}},
		"/v1beta/models/gemini-2.0-flash:streamGenerateContent": {file: "gemini_stream.sse", header: map[string]string{"Content-Type": "text/event-stream"}, chunkSep: "\r\n\r\n"},
		"/v1beta/models/gemini-9-ultra:generateContent":         {file: "gemini_429.json", status: 429, header: map[string]string{"Content-Type": "application/json"}},
	})
	tests := []struct {
		name      string
		model     string
		stream    bool
		wantErr   bool
		wantText  string
		wantAttrs map[attribute.Key]any
		wantIn    int64
		wantOut   int64
	}{{
		name: "generate content with thoughts and tool-use prompt", model: "gemini-2.5-flash",
		wantText: "Paris is the capital of France.",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:        "generate_content",
			semconv.GenAIProviderName:         "gcp.gemini",
			semconv.GenAIRequestModel:         "gemini-2.5-flash",
			semconv.GenAIResponseModel:        "gemini-2.5-flash",
			semconv.GenAIResponseID:           "kJ1gaeX2Bv6qkdUPr8O3gQk",
			semconv.GenAIRequestStream:        false,
			semconv.GenAIUsageInputTokens:     94 + 4610,
			semconv.GenAIUsageOutputTokens:    877 + 1058,
			semconv.GenAIUsageCacheReadInput:  64,
			semconv.GenAIUsageReasoningOutput: 1058,
			semconv.CostStatus:                "priced",
			// The 64 cached tokens bill at the cache-read rate (10% of input).
			semconv.CostUSD:                usd(4704-64, 0.30) + usd(64, 0.03) + usd(1935, 2.50),
			semconv.HTTPResponseStatusCode: 200,
		},
		wantIn: 4704, wantOut: 1935,
	}, {
		name: "stream with cumulative usage", model: "gemini-2.0-flash", stream: true,
		wantText: "Paris is the capital.\n",
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIOperationName:     "generate_content",
			semconv.GenAIRequestModel:      "gemini-2.0-flash",
			semconv.GenAIResponseModel:     "gemini-2.0-flash",
			semconv.GenAIRequestStream:     true,
			semconv.GenAIUsageInputTokens:  13,
			semconv.GenAIUsageOutputTokens: 8,
			semconv.CostUSD:                usd(13, 0.10) + usd(8, 0.40),
			semconv.ErrorType:              nil,
		},
		wantIn: 13, wantOut: 8,
	}, {
		name: "429 quota failure", model: "gemini-9-ultra", wantErr: true,
		wantAttrs: map[attribute.Key]any{
			semconv.HTTPResponseStatusCode: 429,
			semconv.ErrorType:              "429",
			semconv.ErrorCode:              "RESOURCE_EXHAUSTED",
			semconv.RateLimitQuotaID:       "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
			semconv.RateLimitQuotaValue:    250,
			semconv.RateLimitRetryAfter:    47.0,
			semconv.CostStatus:             nil,
			semconv.GenAIUsageInputTokens:  nil,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, instrumentation.WithHost(hostOf(t, srv.URL), instrumentation.Gemini))
			ctx := context.Background()
			client := genaiClient(t, h, srv.URL)
			var text strings.Builder
			if tt.stream {
				for resp, err := range client.Models.GenerateContentStream(ctx, tt.model, genai.Text("capital of France?"), nil) {
					if err != nil {
						t.Fatalf("stream: %v", err)
					}
					text.WriteString(resp.Text())
				}
			} else {
				resp, err := client.Models.GenerateContent(ctx, tt.model, genai.Text("capital of France?"), nil)
				if (err != nil) != tt.wantErr {
					t.Fatalf("generate: err = %v, want error %v", err, tt.wantErr)
				}
				if err == nil {
					text.WriteString(resp.Text())
				}
			}
			if text.String() != tt.wantText {
				t.Errorf("app read %q, want %q", text.String(), tt.wantText)
			}
			s := h.span(t)
			if want := "generate_content " + tt.model; s.Name != want {
				t.Errorf("span name %q, want %q", s.Name, want)
			}
			wantAttrs(t, attrs(s), tt.wantAttrs)
			if tt.wantErr {
				checkExceeded(t, h, map[attribute.Key]string{
					semconv.GenAIProviderName: "gcp.gemini",
					semconv.RateLimitQuotaID:  "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
				})
				return
			}
			checkTokenMetrics(t, h, tt.wantIn, tt.wantOut)
		})
	}
}

// genaiClient is the real genai client for the Gemini API at baseURL, through h's transport.
func genaiClient(t *testing.T, h *harness, baseURL string) *genai.Client {
	t.Helper()
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "AIza_test_secret",
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  &http.Client{Transport: h.inst.Transport(nil)},
		HTTPOptions: genai.HTTPOptions{BaseURL: baseURL},
	})
	if err != nil {
		t.Fatalf("genai client: %v", err)
	}
	return client
}

// TestQuotaExhaustedByGemini429 checks that a Gemini 429 naming its daily quota
// shows that quota exhausted until Pacific midnight, although the calls counted
// here are far below the configured limit: the provider's word is the truth.
func TestQuotaExhaustedByGemini429(t *testing.T) {
	srv := providerServer(t, map[string]reply{
		"/v1beta/models/gemini-2.5-flash:generateContent": {file: "gemini_429.json", status: 429, header: map[string]string{"Content-Type": "application/json"}},
	})
	var alerts []quota.Alert
	h := newHarness(t, instrumentation.WithHost(hostOf(t, srv.URL), instrumentation.Gemini),
		instrumentation.WithLimits(quota.Limit{Provider: instrumentation.Gemini, Model: "gemini-2.5-flash", RequestsPerMinute: 10, RequestsPerDay: 250}),
		instrumentation.WithQuotaAlert(0.9, func(a quota.Alert) { alerts = append(alerts, a) }))
	ctx := context.Background()
	client := genaiClient(t, h, srv.URL)
	before := time.Now()
	if _, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("capital of France?"), nil); err == nil {
		t.Fatal("generate: no error, want the 429")
	}

	var rpd, rpm quota.State
	for _, s := range h.inst.Quota() {
		switch {
		case s.Resource == semconv.ResourceRequests && s.Window == semconv.WindowDay:
			rpd = s
		case s.Resource == semconv.ResourceRequests && s.Window == semconv.WindowMinute:
			rpm = s
		}
	}
	if rpd.Source != semconv.SourceEstimate || rpd.Limit != 250 || rpd.Remaining != 0 || rpd.Utilization != 1 {
		t.Errorf("requests/day %+v, want the estimate of 250 exhausted", rpd)
	}
	// Exhausted until the next midnight in Los Angeles, not for the 47 s retry delay.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	if r := rpd.ResetAt.In(la); r.Hour() != 0 || r.Minute() != 0 || r.Second() != 0 || !r.After(before) || r.Sub(before) > 25*time.Hour {
		t.Errorf("requests/day reset at %s, want the next Pacific midnight after %s", r, before.In(la))
	}
	// A refused call does not count, and the per-minute quota was not the one refused.
	if rpm.Limit != 10 || rpm.Remaining != 10 {
		t.Errorf("requests/minute %+v, want all 10 left", rpm)
	}
	if len(alerts) != 1 || alerts[0].State.Window != semconv.WindowDay || alerts[0].State.Remaining != 0 {
		t.Errorf("alerts %+v, want one for requests per day", alerts)
	}
	if v, ok := utilizationPoint(t, h, semconv.ResourceRequests, semconv.WindowDay); !ok || v != 1 {
		t.Errorf("%s estimated requests/1d point = %g, %v; want 1", semconv.MetricRateLimitUtilization, v, ok)
	}
}

// TestContentOptIn records the prompt through the real SDKs only WithContent.
func TestContentOptIn(t *testing.T) {
	srv := providerServer(t, map[string]reply{
		"/openai/v1/chat/completions":                     {file: "groq_chat.json", header: groqHeaders},
		"/v1beta/models/gemini-2.5-flash:generateContent": {file: "gemini_generate.json"},
	})
	const prompt = "What is the capital of France?"
	for _, content := range []bool{false, true} {
		for _, provider := range []instrumentation.Provider{instrumentation.Groq, instrumentation.Gemini} {
			opts := []instrumentation.Option{instrumentation.WithHost(hostOf(t, srv.URL), provider)}
			if content {
				opts = append(opts, instrumentation.WithContent())
			}
			h := newHarness(t, opts...)
			httpClient := &http.Client{Transport: h.inst.Transport(nil)}
			ctx := context.Background()
			if provider == instrumentation.Groq {
				client := openai.NewClient(option.WithBaseURL(srv.URL+"/openai/v1"), option.WithAPIKey("k"), option.WithHTTPClient(httpClient))
				if _, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model: "openai/gpt-oss-120b", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
				}); err != nil {
					t.Fatal(err)
				}
			} else {
				client, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: "k", Backend: genai.BackendGeminiAPI,
					HTTPClient: httpClient, HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil); err != nil {
					t.Fatal(err)
				}
			}
			got := attrs(h.span(t))
			v, ok := got[semconv.GenAIInputMessages]
			if ok != content || content && !strings.Contains(v.AsString(), `"content":"`+prompt+`"`) {
				t.Errorf("%s content=%v: gen_ai.input.messages = %q (present %v)", provider, content, v.AsString(), ok)
			}
			for k, v := range got {
				if !content && strings.Contains(v.Emit(), prompt) {
					t.Errorf("%s: prompt recorded in %s without instrumentation.WithContent", provider, k)
				}
			}
			wantAttrs(t, got, map[attribute.Key]any{semconv.GenAIUsageInputTokens: map[instrumentation.Provider]int{instrumentation.Groq: 336, instrumentation.Gemini: 4704}[provider]})
		}
	}
}
