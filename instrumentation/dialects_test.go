package instrumentation

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestPlainHTTP covers what the SDK tests cannot reach: Gemini's JSON-array
// stream, Groq's in-band stream error and Groq's 429 with its headers.
func TestPlainHTTP(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		provider Provider
		reply    reply
		body     string
		// acceptGzip sets Accept-Encoding itself, so the app reads the gzip wire bytes.
		acceptGzip   bool
		wantAttrs    map[attribute.Key]any
		wantExceeded map[attribute.Key]string
	}{{
		name: "gemini stream as JSON array", provider: Gemini,
		path:  "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
		reply: reply{file: "gemini_stream_array.json", header: map[string]string{"Content-Type": "application/json"}, chunkSep: ",\r\n"},
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIRequestStream:     true,
			semconv.GenAIResponseModel:     "gemini-2.0-flash",
			semconv.GenAIUsageInputTokens:  13,
			semconv.GenAIUsageOutputTokens: 8,
			semconv.ErrorType:              nil,
		},
	}, {
		name: "groq in-band stream error", provider: Groq,
		path:  "/openai/v1/chat/completions",
		body:  `{"model":"openai/gpt-oss-20b","stream":true,"messages":[]}`,
		reply: reply{file: "groq_stream_error.sse", header: withContentType(groqHeaders, "text/event-stream"), chunkSep: "\n\n"},
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIRequestStream:     true,
			semconv.HTTPResponseStatusCode: 200,
			semconv.ErrorType:              "stream_error",
			semconv.ErrorCode:              "tool_use_failed",
		},
	}, {
		name: "groq 429 requests per day", provider: Groq,
		path: "/openai/v1/chat/completions",
		body: `{"model":"llama-3.1-8b-instant","messages":[]}`,
		reply: reply{file: "groq_429.json", status: 429, header: map[string]string{
			"Content-Type": "application/json", "retry-after": "87",
			"x-ratelimit-limit-requests": "1000", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m26.4s",
			"x-ratelimit-limit-tokens": "8000", "x-ratelimit-remaining-tokens": "8000", "x-ratelimit-reset-tokens": "0s"}},
		wantAttrs: map[attribute.Key]any{
			semconv.HTTPResponseStatusCode:     429,
			semconv.ErrorType:                  "429",
			semconv.ErrorCode:                  "rate_limit_exceeded",
			semconv.RateLimitRetryAfter:        87.0,
			semconv.RateLimitRequestsRemaining: 0,
			semconv.RateLimitRequestsReset:     86.4,
			semconv.CostStatus:                 nil,
		},
		wantExceeded: map[attribute.Key]string{
			semconv.GenAIProviderName: "groq",
			semconv.GenAIRequestModel: "llama-3.1-8b-instant",
			semconv.RateLimitResource: semconv.ResourceRequests,
			semconv.RateLimitWindow:   semconv.WindowDay,
		},
	}, {
		name: "groq compound model with per-model breakdown", provider: Groq,
		path:  "/openai/v1/chat/completions",
		body:  `{"model":"compound-beta","stream":true,"messages":[]}`,
		reply: reply{file: "groq_compound_stream.sse", header: withContentType(groqHeaders, "text/event-stream"), chunkSep: "\n\n"},
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIRequestModel:      "compound-beta",
			semconv.GenAIResponseModel:     "groq/compound",
			semconv.GenAIUsageInputTokens:  3000,
			semconv.GenAIUsageOutputTokens: 300,
			semconv.UsageBreakdown:         `[{"model":"openai/gpt-oss-120b","input_tokens":2000,"output_tokens":200},{"model":"llama-3.1-8b-instant","input_tokens":1000,"output_tokens":100}]`,
			semconv.CostStatus:             "priced",
			// Each sub-model at its own price.
			semconv.CostUSD: usd(2000, 0.15) + usd(200, 0.60) + usd(1000, 0.05) + usd(100, 0.08),
		},
	}, {
		name: "gzip body the app asked for itself", provider: Groq,
		path:       "/openai/v1/chat/completions",
		body:       `{"model":"openai/gpt-oss-120b","messages":[]}`,
		reply:      reply{file: "groq_chat.json", header: groqHeaders, gzip: true},
		acceptGzip: true,
		wantAttrs: map[attribute.Key]any{
			semconv.GenAIResponseModel:       "openai/gpt-oss-120b",
			semconv.GenAIUsageInputTokens:    336,
			semconv.GenAIUsageCacheReadInput: 256,
			semconv.ErrorType:                nil,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providerServer(t, map[string]reply{tt.path: tt.reply})
			h := newHarness(t, WithHost(hostOf(t, srv.URL), tt.provider))
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.acceptGzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := newGroqHTTPClient(h).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tt.acceptGzip {
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("app did not get the gzip body")
				}
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				got, _ = io.ReadAll(zr)
			}
			if want := readTestdata(t, tt.reply.file); string(got) != string(want) {
				t.Errorf("app read %q, want %q", got, want)
			}
			wantAttrs(t, attrs(h.span(t)), tt.wantAttrs)
			if tt.wantExceeded != nil {
				checkExceeded(t, h, tt.wantExceeded)
			}
		})
	}
}
