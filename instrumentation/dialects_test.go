package instrumentation

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestPlainHTTP covers what the SDK tests cannot reach: Gemini's JSON-array
// stream, Groq's in-band stream error and Groq's 429 with its headers.
func TestPlainHTTP(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		provider     Provider
		reply        reply
		body         string
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
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providerServer(t, map[string]reply{tt.path: tt.reply})
			h := newHarness(t, WithHost(hostOf(t, srv.URL), tt.provider))
			got := postChat(t, newGroqHTTPClient(h), srv.URL+tt.path, tt.body)
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
