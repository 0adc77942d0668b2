package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/internal/emulator"
)

// geminiUsage is what a test expects the SDK to see in usageMetadata.
type geminiUsage struct {
	prompt, candidates, thoughts, toolUse, cached, total int32
	finish                                               genai.FinishReason
}

func usageOf(r *genai.GenerateContentResponse) geminiUsage {
	u := r.UsageMetadata
	if u == nil {
		return geminiUsage{}
	}
	g := geminiUsage{u.PromptTokenCount, u.CandidatesTokenCount, u.ThoughtsTokenCount, u.ToolUsePromptTokenCount, u.CachedContentTokenCount, u.TotalTokenCount, ""}
	if len(r.Candidates) > 0 {
		g.finish = r.Candidates[0].FinishReason
	}
	return g
}

// Worked by hand from the package rules: "What is the capital of France?" is 30 characters =
// 8 tokens, reply 8 + 4 = 12; "What is ai?" is 11 characters = 3 tokens, reply 9, thoughts
// 18 on 2.5 models; "You are a helpful chatbot." adds 26 characters = 7 tokens.
func TestGeminiGenerateContentUsageThroughSDK(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  string
		prompt string
		cfg    *genai.GenerateContentConfig
		want   geminiUsage
	}{
		{"no thinking", "gemini-2.0-flash", "What is the capital of France?", nil, geminiUsage{8, 12, 0, 0, 0, 20, genai.FinishReasonStop}},
		{"thinking", "gemini-2.5-flash", "What is ai?", nil, geminiUsage{3, 9, 18, 0, 0, 30, genai.FinishReasonStop}},
		{"thinking off", "gemini-2.5-flash", "What is ai?",
			&genai.GenerateContentConfig{ThinkingConfig: &genai.ThinkingConfig{ThinkingBudget: genai.Ptr[int32](0)}}, geminiUsage{3, 9, 0, 0, 0, 12, genai.FinishReasonStop}},
		{"thinking budget", "gemini-2.5-pro", "What is ai?",
			&genai.GenerateContentConfig{ThinkingConfig: &genai.ThinkingConfig{ThinkingBudget: genai.Ptr[int32](5)}}, geminiUsage{3, 9, 5, 0, 0, 17, genai.FinishReasonStop}},
		{"max output caps thoughts first", "gemini-2.5-flash", "What is ai?",
			&genai.GenerateContentConfig{MaxOutputTokens: 20}, geminiUsage{3, 2, 18, 0, 0, 23, genai.FinishReasonMaxTokens}},
		{"search tool", "gemini-2.5-flash", "What is ai?",
			&genai.GenerateContentConfig{Tools: []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}}, geminiUsage{3, 9, 18, 256, 0, 286, genai.FinishReasonStop}},
		{"three chunks", "gemini-2.0-flash", strings.Repeat("abcd", 20), nil, geminiUsage{20, 18, 0, 0, 0, 38, genai.FinishReasonStop}},
		{"system instruction", "gemini-2.0-flash", "What is the capital of France?",
			&genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("You are a helpful chatbot.", genai.RoleUser)}, geminiUsage{15, 15, 0, 0, 0, 30, genai.FinishReasonStop}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			client := e.geminiClient(t)
			resp, err := client.Models.GenerateContent(context.Background(), tc.model, genai.Text(tc.prompt), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := usageOf(resp); got != tc.want {
				t.Errorf("usage %+v, want %+v", got, tc.want)
			}
			if resp.ModelVersion != tc.model || len(resp.ResponseID) < 20 {
				t.Errorf("modelVersion %q responseId %q", resp.ModelVersion, resp.ResponseID)
			}
			if got := emulator.CountTokens(resp.Text()); got != int(tc.want.candidates) {
				t.Errorf("text %q is %d tokens, want %d", resp.Text(), got, tc.want.candidates)
			}

			// The stream ends with the same usage; earlier chunks carry less.
			var last *genai.GenerateContentResponse
			var text strings.Builder
			chunks, empty := 0, 0
			for r, err := range client.Models.GenerateContentStream(context.Background(), tc.model, genai.Text(tc.prompt), tc.cfg) {
				if err != nil {
					t.Fatal(err)
				}
				chunks++
				if r.UsageMetadata != nil && r.UsageMetadata.TotalTokenCount == 0 {
					empty++
				}
				if r.UsageMetadata != nil && r.UsageMetadata.CandidatesTokenCount == 0 && r.UsageMetadata.PromptTokenCount != 0 &&
					r.UsageMetadata.PromptTokenCount != tc.want.prompt+2 {
					t.Errorf("early chunk prompt %d, want %d", r.UsageMetadata.PromptTokenCount, tc.want.prompt+2)
				}
				text.WriteString(r.Text())
				last = r
			}
			if got := usageOf(last); got != tc.want {
				t.Errorf("stream's last usage %+v, want %+v", got, tc.want)
			}
			// 8 reply tokens per chunk; the second of three or more has usage without counts.
			wantChunks := max(1, (int(tc.want.candidates)+7)/8)
			if chunks != wantChunks || (chunks > 2) != (empty == 1) {
				t.Errorf("%d chunks (%d without counts), want %d", chunks, empty, wantChunks)
			}
			if text.String() != resp.Text() {
				t.Errorf("streamed %q, generated %q", text.String(), resp.Text())
			}
		})
	}
}

// The SSE stream frames events with CRLF CRLF and sends no [DONE]; without alt=sse the
// stream is one JSON array.
func TestGeminiStreamFraming(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	const body = `{"contents":[{"role":"user","parts":[{"text":"` + "Please tell me a long story about a brave little toaster" + `"}]}]}` // 56 chars = 14 tokens, reply 15
	url := e.gemini.URL + "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
	key := map[string]string{"x-goog-api-key": "k"}

	status, h, sse := post(t, url+"?alt=sse", body, key)
	if status != 200 || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("sse: status %d content-type %q", status, h.Get("Content-Type"))
	}
	if !strings.HasSuffix(sse, "\r\n\r\n") || strings.Contains(sse, "[DONE]") {
		t.Errorf("sse framing: %q", sse)
	}
	events := strings.Split(strings.TrimSuffix(sse, "\r\n\r\n"), "\r\n\r\n")
	if len(events) != 2 {
		t.Fatalf("%d sse events, want 2", len(events))
	}
	for _, ev := range events {
		if !strings.HasPrefix(ev, "data: {") {
			t.Errorf("event %q", ev)
		}
	}

	status, h, arr := post(t, url, body, key)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("array: status %d content-type %q", status, h.Get("Content-Type"))
	}
	var chunks []struct {
		UsageMetadata map[string]any `json:"usageMetadata"`
	}
	if err := json.Unmarshal([]byte(arr), &chunks); err != nil {
		t.Fatalf("array stream is not a JSON array: %v\n%s", err, arr)
	}
	if len(chunks) != 2 || chunks[1].UsageMetadata["candidatesTokenCount"] != float64(15) || chunks[1].UsageMetadata["promptTokenCount"] != float64(14) {
		t.Errorf("array chunks %+v", chunks)
	}
}

func TestGeminiAPIKey(t *testing.T) {
	e := newEnv(t, emulator.Config{APIKey: "right"})
	url := e.gemini.URL + "/v1beta/models/gemini-2.0-flash:generateContent"
	const body = `{"contents":[{"parts":[{"text":"hi"}]}]}`
	for _, tc := range []struct {
		name   string
		url    string
		header map[string]string
		status int
		want   string
	}{
		{"missing", url, nil, 403, `"status": "PERMISSION_DENIED"`},
		{"wrong", url, map[string]string{"x-goog-api-key": "wrong"}, 400, `"reason": "API_KEY_INVALID"`},
		{"header", url, map[string]string{"x-goog-api-key": "right"}, 200, `"usageMetadata"`},
		{"query", url + "?key=right", nil, 200, `"usageMetadata"`},
		{"sse error is JSON", e.gemini.URL + "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", nil, 403, `"code": 403`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, got := post(t, tc.url, body, tc.header)
			if status != tc.status || !strings.Contains(got, tc.want) {
				t.Errorf("status %d body %s, want %d with %s", status, got, tc.status, tc.want)
			}
		})
	}
}

func TestGeminiRejectsBadRequests(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	url := e.gemini.URL + "/v1beta/models/gemini-2.0-flash:generateContent"
	key := map[string]string{"x-goog-api-key": "k"}
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{"contents":`, "Invalid JSON payload"},
		{"no contents", `{}`, "GenerateContentRequest.contents"},
		{"no parts", `{"contents":[{"role":"user"}]}`, "contents[0].parts"},
		{"bad max output", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":-1}}`, "max_output_tokens"},
		{"bad budget", `{"contents":[{"parts":[{"text":"hi"}]}],"generation_config":{"thinking_config":{"thinking_budget":-7}}}`, "thinking_budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := post(t, url, tc.body, key)
			if status != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, "INVALID_ARGUMENT") {
				t.Errorf("status %d body %s, want 400 naming %s", status, body, tc.want)
			}
		})
	}
}

// quotaFailure pulls the first QuotaFailure violation and the RetryInfo delay from a
// genai API error.
func quotaFailure(t *testing.T, err error) (quotaID, quotaValue, retryDelay string) {
	t.Helper()
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusTooManyRequests || apiErr.Status != "RESOURCE_EXHAUSTED" {
		t.Fatalf("err %v, want 429 RESOURCE_EXHAUSTED", err)
	}
	for _, d := range apiErr.Details {
		switch d["@type"] {
		case "type.googleapis.com/google.rpc.QuotaFailure":
			v := d["violations"].([]any)[0].(map[string]any)
			quotaID, quotaValue = v["quotaId"].(string), v["quotaValue"].(string)
			if dims := v["quotaDimensions"].(map[string]any); dims["model"] != "gemini-2.5-flash" || dims["location"] != "global" {
				t.Errorf("quotaDimensions %v", dims)
			}
		case "type.googleapis.com/google.rpc.RetryInfo":
			retryDelay = d["retryDelay"].(string)
		}
	}
	return quotaID, quotaValue, retryDelay
}

func TestGeminiQuota(t *testing.T) {
	const model = "gemini-2.5-flash"
	ask := func(t *testing.T, e *env, client *genai.Client) error {
		_, err := client.Models.GenerateContent(context.Background(), model, genai.Text("What is the capital of France?"), nil) // 8 input tokens
		return err
	}
	for _, tc := range []struct {
		name    string
		limits  emulator.GeminiLimits
		allowed int
		quotaID string
		value   string
		delay   string
		wait    time.Duration // after which one more call succeeds
	}{
		{"requests per minute", emulator.GeminiLimits{RequestsPerMinute: 2}, 2, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "2", "60s", time.Minute},
		// start is 10:00 Pacific: the day ends in 14h.
		{"requests per day", emulator.GeminiLimits{RequestsPerDay: 3}, 3, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "3", "50400s", 14 * time.Hour},
		{"input tokens per minute", emulator.GeminiLimits{TokensPerMinute: 20}, 2, "GenerateContentInputTokensPerModelPerMinute-FreeTier", "20", "60s", time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{GeminiModelLimits: map[string]emulator.GeminiLimits{model: tc.limits}})
			client := e.geminiClient(t)
			for i := range tc.allowed {
				if err := ask(t, e, client); err != nil {
					t.Fatalf("call %d of %d allowed: %v", i+1, tc.allowed, err)
				}
			}
			id, value, delay := quotaFailure(t, ask(t, e, client))
			if id != tc.quotaID || value != tc.value || delay != tc.delay {
				t.Errorf("violation %s=%s retry %s, want %s=%s retry %s", id, value, delay, tc.quotaID, tc.value, tc.delay)
			}
			e.clock.Advance(tc.wait - time.Second)
			if err := ask(t, e, client); err == nil {
				t.Errorf("a second before the retry delay the call succeeded")
			}
			e.clock.Advance(time.Second)
			if err := ask(t, e, client); err != nil {
				t.Errorf("after the retry delay: %v", err)
			}
			// Another model has its own quota.
			if _, err := client.Models.GenerateContent(context.Background(), "gemini-2.0-flash", genai.Text("hi"), nil); err != nil {
				t.Errorf("other model: %v", err)
			}
		})
	}
}

// A quota error on the SSE endpoint is plain JSON under text/event-stream.
func TestGeminiQuotaErrorOnStream(t *testing.T) {
	e := newEnv(t, emulator.Config{GeminiLimits: emulator.GeminiLimits{RequestsPerMinute: 1}})
	client := e.geminiClient(t)
	var errs []error
	for range 2 {
		for _, err := range client.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", genai.Text("hi"), nil) {
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want exactly one", errs)
	}
	if id, _, _ := quotaFailure(t, errs[0]); id != "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" {
		t.Errorf("quotaId %q", id)
	}
	status, h, body := post(t, e.gemini.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}]}`,
		map[string]string{"x-goog-api-key": "k"})
	if status != 429 || h.Get("Content-Type") != "text/event-stream" || !strings.HasPrefix(body, "{") {
		t.Errorf("status %d content-type %q body %q", status, h.Get("Content-Type"), body)
	}
}

// A 600-character system instruction is 150 tokens: repeating it reads one 128-token block.
func TestGeminiCachedContent(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.geminiClient(t)
	cfg := &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText(strings.Repeat("You are a voice assistant. ", 23)[:600], genai.RoleUser)}
	for i, want := range []int32{0, 128} {
		resp, err := client.Models.GenerateContent(context.Background(), "gemini-2.0-flash", genai.Text(fmt.Sprint("turn on light ", i)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if u := resp.UsageMetadata; u.CachedContentTokenCount != want || u.PromptTokenCount != 154 {
			t.Errorf("call %d: cached %d of %d prompt tokens, want %d of 154", i, u.CachedContentTokenCount, u.PromptTokenCount, want)
		}
	}
}

// Gemini's OpenAI-compatible endpoint, driven by openai-go. "What is ai?" = 3 tokens,
// reply 9, thoughts 18 counted inside completion_tokens.
func TestGeminiOpenAICompatible(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.geminiOpenAIClient()
	params := openai.ChatCompletionNewParams{Model: "gemini-2.5-flash", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is ai?")}}
	c, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Usage; u.PromptTokens != 3 || u.CompletionTokens != 27 || u.CompletionTokensDetails.ReasoningTokens != 18 || u.TotalTokens != 30 {
		t.Errorf("usage %+v", u)
	}
	if c.Model != "gemini-2.5-flash" || c.Choices[0].FinishReason != "stop" || emulator.CountTokens(c.Choices[0].Message.Content) != 9 {
		t.Errorf("completion %+v", c)
	}

	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Usage.TotalTokens != 30 || acc.Choices[0].Message.Content != c.Choices[0].Message.Content {
		t.Errorf("stream usage %+v content %q", acc.Usage, acc.Choices[0].Message.Content)
	}
}

func TestGeminiOpenAICompatibleQuota(t *testing.T) {
	e := newEnv(t, emulator.Config{GeminiLimits: emulator.GeminiLimits{RequestsPerDay: 1}})
	client := e.geminiOpenAIClient()
	params := openai.ChatCompletionNewParams{Model: "gemini-2.0-flash", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	_, err := client.Chat.Completions.New(context.Background(), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("err %v, want 429", err)
	}
	// The OpenAI-compatible endpoint wraps Google's error in a one-element array.
	if raw := apiErr.DumpResponse(true); !strings.Contains(string(raw), "\r\n\r\n[\n  {\n    \"error\"") || !strings.Contains(string(raw), "GenerateRequestsPerDayPerProjectPerModel-FreeTier") {
		t.Errorf("body:\n%s", raw)
	}
}

// A capacity 429 carries no QuotaFailure or RetryInfo and uses up no quota.
func TestGeminiCapacityExhausted(t *testing.T) {
	e := newEnv(t, emulator.Config{GeminiLimits: emulator.GeminiLimits{RequestsPerDay: 1}})
	client := e.geminiClient(t)
	_, err := client.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("hi "+emulator.CapacityExhaustedTrigger), nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusTooManyRequests || apiErr.Status != "RESOURCE_EXHAUSTED" || len(apiErr.Details) != 0 {
		t.Fatalf("err %v, want 429 RESOURCE_EXHAUSTED without details", err)
	}
	if _, err := client.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("hi"), nil); err != nil {
		t.Errorf("the day's one request was used up by the capacity 429: %v", err)
	}
	openaiClient := e.geminiOpenAIClient()
	_, err = openaiClient.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gemini-2.0-flash", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(emulator.CapacityExhaustedTrigger)}})
	var oaErr *openai.Error
	if !errors.As(err, &oaErr) || oaErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("OpenAI-compatible: err %v, want 429", err)
	}
}
