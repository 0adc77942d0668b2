package response

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"

	"github.com/aiusage/aiusage/instrumentation/usage"
)

const (
	ctJSON = "application/json"
	ctSSE  = "text/event-stream"
)

// parse feeds body to a new Parser in the given pieces and returns its Result.
func parse(d Dialect, status int, ct string, pieces [][]byte, complete bool) Result {
	p := NewParser(d, status, ct)
	for _, b := range pieces {
		if n, err := p.Write(b); n != len(b) || err != nil {
			panic(fmt.Sprintf("Write(%d bytes) = %d, %v", len(b), n, err))
		}
	}
	return p.Result(complete)
}

// splits returns ways to cut body into writes: whole, byte by byte, random sizes, and
// (for small bodies) every two-way cut.
func splits(body []byte, seed int64) map[string][][]byte {
	out := map[string][][]byte{"whole": {body}}
	bytewise := make([][]byte, len(body))
	for i := range body {
		bytewise[i] = body[i : i+1]
	}
	out["bytewise"] = bytewise
	r := rand.New(rand.NewSource(seed))
	for k := 0; k < 5; k++ {
		var pieces [][]byte
		for rest := body; len(rest) > 0; {
			n := min(1+r.Intn(64), len(rest))
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		out[fmt.Sprintf("random%d", k)] = pieces
	}
	if len(body) <= 4096 {
		for i := 1; i < len(body); i++ {
			out[fmt.Sprintf("cut%d", i)] = [][]byte{body[:i], body[i:]}
		}
	}
	return out
}

// checkSplits asserts that every way of writing body gives want.
func checkSplits(t *testing.T, d Dialect, status int, ct string, body []byte, complete bool, want Result) {
	t.Helper()
	for name, pieces := range splits(body, int64(len(body))) {
		got := parse(d, status, ct, pieces, complete)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %s\nwant %s", name, dump(got), dump(want))
		}
	}
}

func dump(r Result) string {
	s := fmt.Sprintf("%+v", r)
	if r.Error != nil {
		s += fmt.Sprintf("\n  Error: %+v", *r.Error)
	}
	return s
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expected values are read from the testdata files by hand.
func TestParser(t *testing.T) {
	const rpdMessage = "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01abc` service tier `on_demand` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 1m26.4s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
	const tpmMessage = "Rate limit reached for model `llama-3.1-8b-instant` in organization `org_01abc` service tier `on_demand` on tokens per minute (TPM): Limit 8000, Used 6670, Requested 5883. Please try again in 33.41s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
	geminiQuota := &APIError{
		Status: 429, Type: "RESOURCE_EXHAUSTED", Code: "429",
		Message:  "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 20, model: gemini-2.5-flash\nPlease retry in 47.108173s.",
		Resource: semconv.ResourceRequests, Window: semconv.WindowDay,
		Quota: []QuotaViolation{{
			Metric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
			ID:     "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
			Value:  "20", Model: "gemini-2.5-flash", Location: "global",
		}},
		RetryDelay: 47 * time.Second,
	}
	tests := []struct {
		name     string
		file     string
		dialect  Dialect
		status   int
		ct       string
		complete bool
		want     Result
	}{
		{
			name: "groq chat with cached and reasoning tokens", file: "groq_chat_cached_reasoning.json",
			dialect: OpenAIChat, status: 200, ct: ctJSON, complete: true,
			want: Result{
				Model: "openai/gpt-oss-120b", ID: "chatcmpl-7d1e0f3a-5b4c-4e8f-9a21-0c3b7e2d9f10", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 336, OutputTokens: 96, CacheReadInputTokens: 256, ReasoningOutputTokens: 59}, Reported: Reported{Total: 432},
				HasUsage: true, ServiceTier: semconv.ServiceTierStandard, // service_tier on_demand
			},
		},
		{
			name: "three choices, distinct finish reasons in order", file: "groq_chat_n2.json",
			dialect: OpenAIChat, status: 200, ct: "application/json; charset=utf-8", complete: true,
			want: Result{
				Model: "llama-3.1-8b-instant", ID: "chatcmpl-n2", FinishReasons: []string{"stop", "length"},
				Usage: usage.Usage{InputTokens: 12, OutputTokens: 30}, Reported: Reported{Total: 42}, HasUsage: true,
			},
		},
		{
			name: "groq stream with x_groq.usage and top-level usage: one, not their sum", file: "groq_stream_both_usages.sse",
			dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			want: Result{
				Model: "llama-3.3-70b-versatile", ID: "chatcmpl-s1", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 40, OutputTokens: 12}, Reported: Reported{Total: 52}, HasUsage: true,
				Stream: true, Chunks: 4,
			},
		},
		{
			name: "CRLF stream prefers top-level usage", file: "groq_stream_crlf_prefers_top_usage.sse",
			dialect: OpenAIChat, status: 200, ct: "text/event-stream; charset=utf-8", complete: true,
			want: Result{
				Model: "llama-3.1-8b-instant", ID: "chatcmpl-s2", FinishReasons: []string{"length"},
				Usage: usage.Usage{InputTokens: 8, OutputTokens: 6, CacheReadInputTokens: 3}, Reported: Reported{Total: 14}, HasUsage: true,
				Stream: true, Chunks: 3,
			},
		},
		{
			name: "groq stream ending in an in-band error", file: "groq_stream_inband_error.sse",
			dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			want: Result{
				Model: "openai/gpt-oss-20b", ID: "chatcmpl-e1", Stream: true, Chunks: 3,
				Error: &APIError{
					Status: 400, Type: "invalid_request_error", Code: "tool_use_failed",
					Message: "Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details.",
				},
			},
		},
		{
			name: "groq compound stream with usage breakdown", file: "groq_compound_stream.sse",
			dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			want: Result{
				Model: "groq/compound", ID: "stub-c1", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 2100, OutputTokens: 180}, Reported: Reported{Total: 2280}, HasUsage: true,
				Breakdown: []usage.ModelUsage{
					{Model: "llama-3.3-70b-versatile", Usage: usage.Usage{InputTokens: 1500, OutputTokens: 120}},
					{Model: "openai/gpt-oss-120b", Usage: usage.Usage{InputTokens: 600, OutputTokens: 60, ReasoningOutputTokens: 20}},
				},
				Stream: true, Chunks: 3,
			},
		},
		{
			name: "groq compound non-stream with usage breakdown", file: "groq_compound.json",
			dialect: OpenAIChat, status: 200, ct: ctJSON, complete: true,
			want: Result{
				Model: "groq/compound", ID: "stub-c2", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 900, OutputTokens: 50}, Reported: Reported{Total: 950}, HasUsage: true,
				Breakdown: []usage.ModelUsage{{Model: "openai/gpt-oss-120b", Usage: usage.Usage{InputTokens: 900, OutputTokens: 50}}},
			},
		},
		{
			name: "groq 429 requests per day", file: "groq_429_rpd.json",
			dialect: OpenAIChat, status: 429, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 429, Type: "requests", Code: "rate_limit_exceeded", Message: rpdMessage,
				Resource: semconv.ResourceRequests, Window: semconv.WindowDay, RetryDelay: 86400 * time.Millisecond,
			}},
		},
		{
			name: "groq 429 tokens per minute", file: "groq_429_tpm.json",
			dialect: OpenAIChat, status: 429, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 429, Type: "tokens", Code: "rate_limit_exceeded", Message: tpmMessage,
				Resource: semconv.ResourceTokens, Window: semconv.WindowMinute, RetryDelay: 33410 * time.Millisecond,
			}},
		},
		{
			name: "groq 413 request too large is not a quota hit", file: "groq_413_tpm.json",
			dialect: OpenAIChat, status: 413, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 413, Type: "tokens", Code: "rate_limit_exceeded",
				Message: "Request too large for model `llama-3.1-8b-instant` in organization `org_01abc` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 9120, please reduce your message size and try again.",
			}},
		},
		{
			name: "gemini generateContent with tool-use prompt, cache and thoughts", file: "gemini_generate_tools_cached.json",
			dialect: GeminiNative, status: 200, ct: "application/json; charset=UTF-8", complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "aXk3aaHBKPmzvdIPp5mWgAk", FinishReasons: []string{"STOP"},
				// One search query ran (groundingMetadata.webSearchQueries).
				Usage:    usage.Usage{InputTokens: 94 + 4610, OutputTokens: 21 + 175, CacheReadInputTokens: 40, ReasoningOutputTokens: 175, WebSearchQueries: 1},
				Reported: Reported{Prompt: 94, Candidates: 21, Thoughts: 175, ToolUsePrompt: 4610, Total: 4900},
				HasUsage: true,
			},
		},
		{
			name: "gemini video input: tokens per modality (real, pydantic-ai)", file: "gemini_video_input.json",
			dialect: GeminiNative, status: 200, ct: "application/json; charset=UTF-8", complete: true,
			want: Result{
				Model: "gemini-2.0-flash", ID: "21peaP3fE4fJ1PIPhdaDmA0", FinishReasons: []string{"STOP"},
				Usage: usage.Usage{InputTokens: 270, OutputTokens: 131, VideoInputTokens: 260}, Reported: Reported{Prompt: 270, Candidates: 131, Total: 401},
				HasUsage: true,
			},
		},
		{
			name: "gemini image output: details short of the total, recorded as given (real, pydantic-ai)", file: "gemini_image_output.json",
			dialect: GeminiNative, status: 200, ct: "application/json; charset=UTF-8", complete: true,
			want: Result{
				Model: "gemini-3-pro-image-preview", ID: "QV8oae6ZGKGnmtkPoanu6A0", FinishReasons: []string{"STOP"},
				Usage: usage.Usage{InputTokens: 14, OutputTokens: 1283 + 174, ReasoningOutputTokens: 174, ImageOutputTokens: 1120}, Reported: Reported{Prompt: 14, Candidates: 1283, Thoughts: 174, Total: 1471},
				HasUsage: true,
			},
		},
		{
			name: "gemini SSE: cumulative usage, last counts win, a count-less chunk keeps them", file: "gemini_stream_cumulative.sse",
			dialect: GeminiNative, status: 200, ct: ctSSE, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "b2Vtc3RyZWFtMQ", FinishReasons: []string{"STOP"},
				Usage: usage.Usage{InputTokens: 13, OutputTokens: 9 + 45, ReasoningOutputTokens: 45}, Reported: Reported{Prompt: 13, Candidates: 9, Thoughts: 45, Total: 67},
				HasUsage: true, Stream: true, Chunks: 4,
				ServiceTier: semconv.ServiceTierStandard, // the last chunk's trafficType ON_DEMAND
			},
		},
		{
			name: "gemini JSON-array stream", file: "gemini_array_stream.json",
			dialect: GeminiNative, status: 200, ct: "application/json; charset=UTF-8", complete: true,
			want: Result{
				Model: "gemini-2.0-flash", ID: "YXJyYXlzdHJlYW0", FinishReasons: []string{"MAX_TOKENS"},
				Usage: usage.Usage{InputTokens: 8, OutputTokens: 16}, Reported: Reported{Prompt: 8, Candidates: 16, Total: 24},
				HasUsage: true, Stream: true, Chunks: 3,
			},
		},
		{
			name: "gemini 429 with quota failure and retry info", file: "gemini_429_quota.json",
			dialect: GeminiNative, status: 429, ct: "application/json; charset=UTF-8", complete: true,
			want: Result{Error: geminiQuota},
		},
		{
			name: "gemini 429 as plain JSON under text/event-stream", file: "gemini_429_quota.json",
			dialect: GeminiNative, status: 429, ct: ctSSE, complete: true,
			want: Result{Error: geminiQuota},
		},
		{
			name: "gemini 429 input tokens per minute, no access", file: "gemini_429_tokens_minute.json",
			dialect: GeminiNative, status: 429, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 429, Type: "RESOURCE_EXHAUSTED", Code: "429", Message: "You exceeded your current quota.",
				Resource: semconv.ResourceTokens, Window: semconv.WindowMinute,
				Quota: []QuotaViolation{{
					Metric: "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
					ID:     "GenerateContentInputTokensPerModelPerMinute-FreeTier",
					Value:  "0", Model: "gemini-2.5-pro", Location: "global",
				}},
				RetryDelay: 500 * time.Millisecond,
			}},
		},
		{
			name: "gemini 429 without details", file: "gemini_429_capacity.json",
			dialect: GeminiNative, status: 429, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 429, Type: "RESOURCE_EXHAUSTED", Code: "429", Message: "Resource has been exhausted (e.g. check quota).",
			}},
		},
		{
			name: "gemini OpenAI-compatible error array", file: "gemini_openai_error_array.json",
			dialect: OpenAIChat, status: 400, ct: ctJSON, complete: true,
			want: Result{Error: &APIError{
				Status: 400, Type: "INVALID_ARGUMENT", Code: "400", Message: "API key not valid. Please pass a valid API key.",
			}},
		},
		{
			name: "gemini OpenAI-compatible stream", file: "gemini_openai_stream.sse",
			dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "Z2VtaW5pY29tcGF0", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 5, OutputTokens: 3}, Reported: Reported{Total: 8}, HasUsage: true,
				Stream: true, Chunks: 2,
			},
		},
		{
			name: "proxy HTML error page", file: "proxy_502.html",
			dialect: OpenAIChat, status: 502, ct: "text/html", complete: true,
			want: Result{ParseError: ParseInvalidJSON},
		},
		{
			name: "body cut inside the JSON keeps the fields before the cut", file: "groq_chat_truncated.json",
			dialect: OpenAIChat, status: 200, ct: ctJSON, complete: true,
			want: Result{Model: "llama-3.1-8b-instant", ID: "chatcmpl-t", ParseError: ParseTruncated},
		},
		{
			// openai-go closes a finished stream after [DONE] without reading to EOF.
			name: "stream closed after [DONE] but before EOF is complete", file: "groq_stream_both_usages.sse",
			dialect: OpenAIChat, status: 200, ct: ctSSE, complete: false,
			want: Result{
				Model: "llama-3.3-70b-versatile", ID: "chatcmpl-s1", FinishReasons: []string{"stop"},
				Usage: usage.Usage{InputTokens: 40, OutputTokens: 12}, Reported: Reported{Total: 52}, HasUsage: true,
				Stream: true, Chunks: 4,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkSplits(t, tc.dialect, tc.status, tc.ct, readTestdata(t, tc.file), tc.complete, tc.want)
		})
	}
}

func TestParserInline(t *testing.T) {
	tests := []struct {
		name     string
		dialect  Dialect
		status   int
		ct       string
		body     string
		complete bool
		want     Result
	}{
		{
			name: "empty body", dialect: OpenAIChat, status: 200, ct: ctJSON, body: "", complete: true,
			want: Result{ParseError: ParseEmpty},
		},
		{
			name: "white space only", dialect: GeminiNative, status: 200, ct: ctJSON, body: " \r\n\t", complete: true,
			want: Result{ParseError: ParseEmpty},
		},
		{
			name: "empty body, closed early", dialect: OpenAIChat, status: 200, ct: ctSSE, body: "", complete: false,
			want: Result{ParseError: ParseTruncated},
		},
		{
			name: "stream closed before [DONE] is truncated", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: false,
			body: "data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"finish_reason\":\"stop\"}]}\n\n",
			want: Result{Model: "m", ID: "a", FinishReasons: []string{"stop"}, Stream: true, Chunks: 1, ParseError: ParseTruncated},
		},
		{
			name: "JSON body closed after its closing brace is complete", dialect: OpenAIChat, status: 200, ct: ctJSON, complete: false,
			body: `{"id":"a","model":"m","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
			want: Result{Model: "m", ID: "a", Usage: usage.Usage{InputTokens: 1, OutputTokens: 2}, Reported: Reported{Total: 3}, HasUsage: true},
		},
		{
			name: "data without a space, last event without blank line", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: `data:{"id":"a","model":"m","choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
			want: Result{
				Model: "m", ID: "a", FinishReasons: []string{"stop"}, Stream: true, Chunks: 1,
				Usage: usage.Usage{InputTokens: 1, OutputTokens: 2}, Reported: Reported{Total: 3}, HasUsage: true,
			},
		},
		{
			name: "event data split over two data lines", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: "data: {\"id\":\"a\",\"model\":\"m\",\n" + `data: "choices":[{"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n",
			want: Result{Model: "m", ID: "a", FinishReasons: []string{"stop"}, Stream: true, Chunks: 1},
		},
		{
			name: "in-band error without status_code keeps the HTTP status", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: "event: error\ndata: {\"error\":{\"message\":\"boom\",\"type\":\"internal_server_error\"}}\n\n",
			want: Result{Stream: true, Chunks: 1, Error: &APIError{Status: 200, Type: "internal_server_error", Message: "boom"}},
		},
		{
			name: "in-band error that is not JSON", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: "event: error\ndata: upstream went away\n\n",
			want: Result{Stream: true, Chunks: 1, Error: &APIError{Status: 200}, ParseError: ParseInvalidJSON},
		},
		{
			name: "gemini error in an SSE stream", dialect: GeminiNative, status: 200, ct: ctSSE, complete: true,
			body: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":3},\"modelVersion\":\"g\",\"responseId\":\"r\"}\r\n\r\n" +
				"data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n",
			want: Result{
				Model: "g", ID: "r", Usage: usage.Usage{InputTokens: 3}, Reported: Reported{Prompt: 3, Total: 3}, HasUsage: true,
				Stream: true, Chunks: 2, Error: &APIError{Status: 503, Type: "UNAVAILABLE", Code: "503", Message: "The model is overloaded."},
			},
		},
		{
			name: "gemini array error", dialect: GeminiNative, status: 429, ct: ctJSON, complete: true,
			body: `[{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}]`,
			want: Result{Stream: true, Chunks: 1, Error: &APIError{Status: 429, Type: "RESOURCE_EXHAUSTED", Code: "429", Message: "quota"}},
		},
		{
			name: "gemini array stream cut mid-element", dialect: GeminiNative, status: 200, ct: ctJSON, complete: false,
			body: `[{"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"g"},{"usageMetadata":{"promptTokenCount":8,"candidatesTok`,
			want: Result{
				Model: "g", Usage: usage.Usage{InputTokens: 8}, Reported: Reported{Prompt: 8, Total: 8}, HasUsage: true,
				Stream: true, Chunks: 1, ParseError: ParseTruncated,
			},
		},
		{
			name: "gemini array stream without its closing bracket", dialect: GeminiNative, status: 200, ct: ctJSON, complete: true,
			body: `[{"modelVersion":"g","candidates":[{"finishReason":"STOP"}]}`,
			want: Result{Model: "g", FinishReasons: []string{"STOP"}, Stream: true, Chunks: 1, ParseError: ParseTruncated},
		},
		{
			name: "gemini zero counts are counts", dialect: GeminiNative, status: 200, ct: ctJSON, complete: true,
			body: `{"usageMetadata":{"promptTokenCount":0,"totalTokenCount":0}}`,
			want: Result{HasUsage: true},
		},
		{
			name: "gemini usageMetadata without counts is no usage", dialect: GeminiNative, status: 200, ct: ctJSON, complete: true,
			body: `{"usageMetadata":{"trafficType":"ON_DEMAND"},"modelVersion":"g"}`,
			want: Result{Model: "g", ServiceTier: semconv.ServiceTierStandard},
		},
		{
			name: "usage value of the wrong type", dialect: OpenAIChat, status: 200, ct: ctJSON, complete: true,
			body: `{"id":"a","model":"m","usage":{"prompt_tokens":"7","completion_tokens":2}}`,
			want: Result{Model: "m", ID: "a", Usage: usage.Usage{OutputTokens: 2}, HasUsage: true, ParseError: ParseInvalidJSON},
		},
		{
			name: "invalid chunk in a stream", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: "data: {\"id\":\"a\",\"model\":\"m\"}\n\ndata: {\"usage\":{oops}}\n\ndata: [DONE]\n\n",
			want: Result{Model: "m", ID: "a", Stream: true, Chunks: 2, ParseError: ParseInvalidJSON},
		},
		{
			// Content chunks are skipped once seen to carry nothing the walk reads; quoting a
			// finish reason in content must neither add it nor hide the real one.
			name: "stream whose content quotes finish reasons", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: "data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n" +
				"data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"one\"},\"finish_reason\":null}],\"usage\":null}\n\n" +
				"data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"say \\\"finish_reason\\\":\\\"stop\\\"\"},\"finish_reason\":null}],\"usage\":null}\n\n" +
				"data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"length\"}],\"usage\":null}\n\n" +
				"data: {\"id\":\"a\",\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}}\n\n" +
				"data: [DONE]\n\n",
			want: Result{
				Model: "m", ID: "a", FinishReasons: []string{"length"}, Stream: true, Chunks: 5,
				Usage: usage.Usage{InputTokens: 4, OutputTokens: 3}, Reported: Reported{Total: 7}, HasUsage: true,
			},
		},
		{
			// The third chunk equals the second outside the delta text, but its text closes
			// the string and adds the choice's finish reason: the template must not match it.
			name: "stream chunk whose text breaks out of its string", dialect: OpenAIChat, status: 200, ct: ctSSE, complete: true,
			body: `data: {"id":"a","model":"m","choices":[{"delta":{"content":""},"finish_reason":null}]}` + "\n\n" +
				`data: {"choices":[{"delta":{"content":"one"},"finish_reason":null}]}` + "\n\n" +
				`data: {"choices":[{"delta":{"content":"two"},"finish_reason":"length","d":{"c":""},"finish_reason":null}]}` + "\n\n" +
				`data: {"choices":[{"delta":{"content":""},"finish_reason":"stop"}]}` + "\n\n",
			want: Result{Model: "m", ID: "a", FinishReasons: []string{"length", "stop"}, Stream: true, Chunks: 4},
		},
		{
			name: "error given as a plain string", dialect: OpenAIChat, status: 503, ct: ctJSON, complete: true,
			body: `{"error":"upstream unavailable"}`,
			want: Result{Error: &APIError{Status: 503, Message: "upstream unavailable"}},
		},
		{
			name: "groq message names the window when the type is missing", dialect: OpenAIChat, status: 429, ct: ctJSON, complete: true,
			body: `{"error":{"message":"Rate limit reached on tokens per day (TPD): Limit 500000","code":"rate_limit_exceeded"}}`,
			want: Result{Error: &APIError{
				Status: 429, Code: "rate_limit_exceeded", Message: "Rate limit reached on tokens per day (TPD): Limit 500000",
				Resource: semconv.ResourceTokens, Window: semconv.WindowDay,
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkSplits(t, tc.dialect, tc.status, tc.ct, []byte(tc.body), tc.complete, tc.want)
		})
	}
}

func TestParserTooLarge(t *testing.T) {
	big := strings.Repeat("x", MaxBuffer)
	tests := []struct {
		name    string
		dialect Dialect
		ct      string
		body    string
		want    Result
	}{
		{
			name: "non-stream member; the other members still parsed", dialect: OpenAIChat, ct: ctJSON,
			body: `{"model":"m","content":"` + big + `","usage":{"prompt_tokens":3,"completion_tokens":4}}`,
			want: Result{Model: "m", Usage: usage.Usage{InputTokens: 3, OutputTokens: 4}, HasUsage: true, ParseError: ParseTooLarge},
		},
		{
			name: "gemini image answer over the cap keeps its usage", dialect: GeminiNative, ct: ctJSON,
			body: `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"` + big + `"}}]},"finishReason":"STOP"}],` +
				`"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":1290,"totalTokenCount":1300},"modelVersion":"gemini-2.5-flash-image","responseId":"img"}`,
			want: Result{
				Model: "gemini-2.5-flash-image", ID: "img", HasUsage: true, ParseError: ParseTooLarge,
				Usage: usage.Usage{InputTokens: 10, OutputTokens: 1290}, Reported: Reported{Prompt: 10, Candidates: 1290, Total: 1300},
			},
		},
		{
			name: "SSE line; later events still parsed", dialect: OpenAIChat, ct: ctSSE,
			body: `data: {"id":"a","model":"m","c":"` + big + "\"}\n\n" +
				`data: {"id":"a","model":"m","choices":[{"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n",
			want: Result{Model: "m", ID: "a", FinishReasons: []string{"stop"}, Stream: true, Chunks: 1, ParseError: ParseTooLarge},
		},
		{
			name: "array element; later elements still parsed", dialect: GeminiNative, ct: ctJSON,
			body: `[{"modelVersion":"g","c":"` + big + `"},` + "\r\n" + `{"modelVersion":"g","usageMetadata":{"promptTokenCount":2}}]`,
			want: Result{Model: "g", Usage: usage.Usage{InputTokens: 2}, Reported: Reported{Prompt: 2}, HasUsage: true, Stream: true, Chunks: 2, ParseError: ParseTooLarge},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			for _, size := range []int{len(body), 1 << 16, 4093} {
				var pieces [][]byte
				for rest := body; len(rest) > 0; {
					n := min(size, len(rest))
					pieces = append(pieces, rest[:n])
					rest = rest[n:]
				}
				got := parse(tc.dialect, 200, tc.ct, pieces, true)
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("writes of %d bytes:\n got %s\nwant %s", size, dump(got), dump(tc.want))
				}
			}
		})
	}
}

func TestParserAfterResult(t *testing.T) {
	p := NewParser(OpenAIChat, 200, ctJSON)
	_, _ = p.Write([]byte(`{"model":"m"}`))
	first := p.Result(true)
	if n, err := p.Write([]byte(`garbage`)); n != 7 || err != nil {
		t.Fatalf("Write after Result = %d, %v", n, err)
	}
	if again := p.Result(false); !reflect.DeepEqual(first, again) || first.Model != "m" {
		t.Fatalf("Result changed: %+v then %+v", first, again)
	}
}

// TestContentChunksDoNotAllocate checks the hot path: once model and id are known, a
// chunk that carries only content costs no allocation.
func TestContentChunksDoNotAllocate(t *testing.T) {
	chunks := []struct {
		dialect     Dialect
		first, next string
	}{
		{
			OpenAIChat,
			`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"x_groq":{"id":"req_1"}}`,
			`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":" \"quoted\" word"},"logprobs":null,"finish_reason":null}],"usage":null}`,
		},
		{
			GeminiNative,
			`{"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"}}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"g","responseId":"r"}`,
			`{"candidates":[{"content":{"parts":[{"text":"more \"text\""}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":9,"totalTokenCount":14,"promptTokensDetails":[{"modality":"TEXT","tokenCount":5}]},"modelVersion":"g","responseId":"r"}`,
		},
	}
	for _, c := range chunks {
		p := NewParser(c.dialect, 200, ctSSE)
		p.object([]byte(c.first))
		next := []byte(c.next)
		if allocs := testing.AllocsPerRun(100, func() { p.object(next) }); allocs != 0 {
			t.Errorf("dialect %d: %v allocations per content chunk, want 0", c.dialect, allocs)
		}
		if p.res.ParseError != "" || p.res.Model == "" {
			t.Errorf("dialect %d: %s", c.dialect, dump(p.res))
		}
	}
	// The finish reason, once seen, is not allocated again.
	p := NewParser(OpenAIChat, 200, ctSSE)
	stop := []byte(`{"choices":[{"finish_reason":"stop"}]}`)
	p.object(stop)
	if allocs := testing.AllocsPerRun(100, func() { p.object(stop) }); allocs != 0 {
		t.Errorf("%v allocations for a repeated finish reason", allocs)
	}
}
