package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/aiusage/aiusage/internal/emulator"
)

// groqUsage is what a test expects the SDK to see.
type groqUsage struct {
	prompt, completion, reasoning, cached, total int64
	finish                                       string
}

// The expected numbers follow the rules in the package documentation, worked by hand:
// "Turn on the kitchen lights" is 26 characters = 7 tokens; the reply is 8 + 7/2 = 11.
func TestGroqChatUsageThroughSDK(t *testing.T) {
	const prompt = "Turn on the kitchen lights"
	for _, tc := range []struct {
		name      string
		model     string
		maxTokens int64
		stream    bool
		usageOpt  bool
		want      groqUsage
		wantModel string
	}{
		{"plain", "llama-3.1-8b-instant", 0, false, false, groqUsage{7, 11, 0, 0, 18, "stop"}, "llama-3.1-8b-instant"},
		{"reasoning model", "openai/gpt-oss-120b", 0, false, false, groqUsage{7, 22, 11, 0, 29, "stop"}, "openai/gpt-oss-120b"},
		{"capped: reasoning first", "openai/gpt-oss-120b", 15, false, false, groqUsage{7, 15, 11, 0, 22, "length"}, "openai/gpt-oss-120b"},
		{"capped inside reasoning", "openai/gpt-oss-20b", 5, false, false, groqUsage{7, 5, 5, 0, 12, "length"}, "openai/gpt-oss-20b"},
		{"stream with include_usage", "llama-3.1-8b-instant", 0, true, true, groqUsage{7, 11, 0, 0, 18, "stop"}, "llama-3.1-8b-instant"},
		{"stream reasoning", "openai/gpt-oss-120b", 0, true, true, groqUsage{7, 22, 11, 0, 29, "stop"}, "openai/gpt-oss-120b"},
		{"compound", "compound-beta", 0, false, false, groqUsage{7 + 7 + 256, 16 + 11, 0, 0, 297, "stop"}, "groq/compound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			client := e.groqClient()
			params := openai.ChatCompletionNewParams{
				Model:    openai.ChatModel(tc.model),
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
			}
			if tc.maxTokens > 0 {
				params.MaxTokens = openai.Int(tc.maxTokens)
			}
			var (
				got     groqUsage
				model   string
				content string
				xGroq   string
			)
			if !tc.stream {
				c, err := client.Chat.Completions.New(context.Background(), params)
				if err != nil {
					t.Fatal(err)
				}
				got = groqUsage{c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.CompletionTokensDetails.ReasoningTokens,
					c.Usage.PromptTokensDetails.CachedTokens, c.Usage.TotalTokens, c.Choices[0].FinishReason}
				model, content, xGroq = c.Model, c.Choices[0].Message.Content, c.JSON.ExtraFields["x_groq"].Raw()
			} else {
				if tc.usageOpt {
					params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				}
				stream := client.Chat.Completions.NewStreaming(context.Background(), params)
				var acc openai.ChatCompletionAccumulator
				for stream.Next() {
					ch := stream.Current()
					acc.AddChunk(ch)
					if x, ok := ch.JSON.ExtraFields["x_groq"]; ok {
						xGroq = x.Raw()
					}
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				u := acc.Usage
				got = groqUsage{u.PromptTokens, u.CompletionTokens, u.CompletionTokensDetails.ReasoningTokens,
					u.PromptTokensDetails.CachedTokens, u.TotalTokens, acc.Choices[0].FinishReason}
				model, content = acc.Model, acc.Choices[0].Message.Content
			}
			if got != tc.want {
				t.Errorf("usage %+v, want %+v", got, tc.want)
			}
			if model != tc.wantModel {
				t.Errorf("model %q, want %q", model, tc.wantModel)
			}
			// The visible reply is reply tokens of 4 characters each.
			reply := tc.want.completion - tc.want.reasoning
			if tc.model == "compound-beta" {
				reply = 11
			}
			if emulator.CountTokens(content) != int(reply) || len(content) != 4*int(reply) {
				t.Errorf("content %q is not %d tokens", content, reply)
			}
			// x_groq.usage (the last one seen in a stream) repeats the same numbers.
			var x struct {
				ID    string `json:"id"`
				Usage *struct {
					PromptTokens     int64 `json:"prompt_tokens"`
					CompletionTokens int64 `json:"completion_tokens"`
					TotalTokens      int64 `json:"total_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal([]byte(xGroq), &x); err != nil {
				t.Fatalf("x_groq %q: %v", xGroq, err)
			}
			if !strings.HasPrefix(x.ID, "req_01") {
				t.Errorf("x_groq.id %q", x.ID)
			}
			if tc.stream && (x.Usage == nil || x.Usage.PromptTokens != tc.want.prompt || x.Usage.CompletionTokens != tc.want.completion || x.Usage.TotalTokens != tc.want.total) {
				t.Errorf("x_groq.usage %+v, want the usage %+v", x.Usage, tc.want)
			}
		})
	}
}

// Without include_usage only x_groq.usage carries the numbers, as in older recordings.
func TestGroqStreamWithoutIncludeUsage(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	_, _, body := post(t, e.groq.URL+"/openai/v1/chat/completions",
		`{"model":"llama-3.1-8b-instant","stream":true,"messages":[{"role":"user","content":"Turn on the kitchen lights"}]}`,
		map[string]string{"Authorization": "Bearer k"})
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	// role chunk + 11 reply chunks + final chunk + [DONE]
	if len(events) != 14 {
		t.Fatalf("%d events, want 14:\n%s", len(events), body)
	}
	if events[13] != "data: [DONE]" {
		t.Errorf("last event %q", events[13])
	}
	var final map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimPrefix(events[12], "data: ")), &final); err != nil {
		t.Fatal(err)
	}
	if _, ok := final["usage"]; ok {
		t.Error("top-level usage without stream_options.include_usage")
	}
	if !strings.Contains(string(final["x_groq"]), `"prompt_tokens":7,`) {
		t.Errorf("final x_groq %s", final["x_groq"])
	}
}

func TestGroqCompoundBreakdown(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.groqClient()
	c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "compound-beta",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello world!")}, // 3 tokens, reply 9
	})
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Models []struct {
			Model string `json:"model"`
			Usage struct {
				PromptTokens     int64 `json:"prompt_tokens"`
				CompletionTokens int64 `json:"completion_tokens"`
			} `json:"usage"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(c.JSON.ExtraFields["usage_breakdown"].Raw()), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Models) != 2 || b.Models[0].Usage.PromptTokens != 3 || b.Models[0].Usage.CompletionTokens != 16 ||
		b.Models[1].Usage.PromptTokens != 259 || b.Models[1].Usage.CompletionTokens != 9 {
		t.Fatalf("breakdown %+v", b)
	}
	if c.Usage.PromptTokens != 262 || c.Usage.CompletionTokens != 25 {
		t.Errorf("usage %d/%d is not the breakdown's sum", c.Usage.PromptTokens, c.Usage.CompletionTokens)
	}
}

// A 600-character system prompt is 150 tokens: repeating it reads one 128-token block.
func TestGroqPromptCaching(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.groqClient()
	system := strings.Repeat("You are a voice assistant. ", 23)[:600]
	for i, tc := range []struct {
		user   string
		cached int64
	}{
		{"lights on", 0},    // first sight
		{"lights off", 128}, // same system prompt
		{"lights off", 128}, // whole prompt repeats: 150+3 tokens, still one block
	} {
		c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model:    "openai/gpt-oss-120b",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(tc.user)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Usage.PromptTokensDetails.CachedTokens; got != tc.cached {
			t.Errorf("call %d: cached %d, want %d", i, got, tc.cached)
		}
		if c.Usage.PromptTokens != 150+int64(emulator.CountTokens(tc.user)) {
			t.Errorf("call %d: prompt %d", i, c.Usage.PromptTokens)
		}
	}
	// Another model has its own cache.
	c, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "llama-3.1-8b-instant",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage("lights on")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Usage.PromptTokensDetails.CachedTokens != 0 {
		t.Errorf("other model read %d cached tokens", c.Usage.PromptTokensDetails.CachedTokens)
	}
}

func groqCall(t *testing.T, client openai.Client, prompt string) (*http.Response, error) {
	t.Helper()
	var resp *http.Response
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "llama-3.1-8b-instant",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}, option.WithResponseInto(&resp))
	return resp, err
}

// Each call below costs 18 tokens ("Turn on the kitchen lights": 7 prompt + 11 reply).
// With 3 requests per day one request refills every 8h; with 100 tokens per minute one
// token refills every 600ms.
func TestGroqRateLimitHeadersCountDown(t *testing.T) {
	e := newEnv(t, emulator.Config{GroqLimits: emulator.GroqLimits{RequestsPerDay: 3, TokensPerMinute: 100}})
	client := e.groqClient()
	type headers struct{ remReq, resetReq, remTok, resetTok string }
	steps := []struct {
		advance string
		want    headers
	}{
		{"", headers{"2", "8h0m0s", "82", "10.8s"}},
		{"", headers{"1", "16h0m0s", "64", "21.6s"}},
		{"1h", headers{"0", "23h0m0s", "82", "10.8s"}}, // tokens refilled; the day has 16h-1h+8h used
		{"", headers{}}, // refused: the day's 3 are used
	}
	for i, s := range steps {
		if s.advance == "1h" {
			e.clock.Advance(3600e9)
		}
		resp, err := groqCall(t, client, "Turn on the kitchen lights")
		if i == 3 {
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("call %d: err %v, want a 429", i, err)
			}
			h := apiErr.Response.Header
			if h.Get("x-ratelimit-remaining-requests") != "0" || h.Get("x-ratelimit-reset-requests") != "23h0m0s" {
				t.Errorf("429 headers %v", h)
			}
			// The next request comes back when the first one refills: 8h after it, 7h from now.
			if h.Get("retry-after") != "25200" {
				t.Errorf("retry-after %q, want 25200", h.Get("retry-after"))
			}
			if apiErr.Type != "requests" || apiErr.Code != "rate_limit_exceeded" ||
				!strings.Contains(apiErr.Message, "on requests per day (RPD): Limit 3, Used 3, Requested 1. Please try again in 7h0m0s") {
				t.Errorf("429 body: type %q code %q message %q", apiErr.Type, apiErr.Code, apiErr.Message)
			}
			continue
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got := headers{resp.Header.Get("x-ratelimit-remaining-requests"), resp.Header.Get("x-ratelimit-reset-requests"),
			resp.Header.Get("x-ratelimit-remaining-tokens"), resp.Header.Get("x-ratelimit-reset-tokens")}
		if got != s.want {
			t.Errorf("call %d: headers %+v, want %+v", i, got, s.want)
		}
		if resp.Header.Get("x-ratelimit-limit-requests") != "3" || resp.Header.Get("x-ratelimit-limit-tokens") != "100" ||
			resp.Header.Get("x-groq-region") == "" || !strings.HasPrefix(resp.Header.Get("x-request-id"), "req_") ||
			resp.Header.Get("retry-after") != "" {
			t.Errorf("call %d: headers %v", i, resp.Header)
		}
	}
}

func TestGroqTokensPerMinute(t *testing.T) {
	// 40 tokens per minute: one token every 1.5s.
	e := newEnv(t, emulator.Config{GroqModelLimits: map[string]emulator.GroqLimits{"llama-3.1-8b-instant": {RequestsPerDay: 1000, TokensPerMinute: 40}}})
	client := e.groqClient()
	for i := range 2 {
		if _, err := groqCall(t, client, "Turn on the kitchen lights"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := groqCall(t, client, "Turn on the kitchen lights")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("err %v, want a 429", err)
	}
	// 36 used + 18 requested - 40 = 14 tokens short = 21s.
	if apiErr.Type != "tokens" || !strings.Contains(apiErr.Message, "on tokens per minute (TPM): Limit 40, Used 36, Requested 18. Please try again in 21s") {
		t.Errorf("type %q message %q", apiErr.Type, apiErr.Message)
	}
	if got := apiErr.Response.Header.Get("retry-after"); got != "21" {
		t.Errorf("retry-after %q", got)
	}
	// The refused request took nothing: the day still shows 2 used.
	if got := apiErr.Response.Header.Get("x-ratelimit-remaining-requests"); got != "998" {
		t.Errorf("remaining requests %q, want 998", got)
	}
	e.clock.Advance(21e9)
	if _, err := groqCall(t, client, "Turn on the kitchen lights"); err != nil {
		t.Errorf("after waiting retry-after: %v", err)
	}
	// More tokens than a whole minute allows can never succeed: 413.
	_, err = groqCall(t, client, strings.Repeat("x", 200)) // 50 + 33 tokens
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusRequestEntityTooLarge ||
		!strings.Contains(apiErr.Message, "Request too large") || !strings.Contains(apiErr.Message, "Limit 40, Requested 83") {
		t.Errorf("err %v, want 413 Request too large", err)
	}
}

func TestGroqToolUseFailed(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.groqClient()
	params := openai.ChatCompletionNewParams{
		Model:    "openai/gpt-oss-120b",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("call the tool " + emulator.ToolUseFailedTrigger)},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_weather", Parameters: openai.FunctionParameters{"type": "object"},
		})},
	}
	_, err := client.Chat.Completions.New(context.Background(), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "tool_use_failed" {
		t.Errorf("non-stream: err %v, want 400 tool_use_failed", err)
	}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	chunks := 0
	for stream.Next() {
		chunks++
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "tool_use_failed") {
		t.Errorf("stream: err %v after %d chunks, want tool_use_failed", err, chunks)
	}
	// Without tools the trigger is just text.
	params.Tools = nil
	if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Errorf("without tools: %v", err)
	}
}

func TestGroqRejectsBadRequests(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	url := e.groq.URL + "/openai/v1/chat/completions"
	auth := map[string]string{"Authorization": "Bearer k"}
	for _, tc := range []struct {
		name   string
		body   string
		header map[string]string
		status int
		want   string
		quota  bool // the model is known, so its x-ratelimit-* headers come along
	}{
		{"no key", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, nil, 401, `"code":"invalid_api_key"`, false},
		{"not JSON", `{"model":`, auth, 400, "not a valid chat completion request", false},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "'model'", false},
		{"no messages", `{"model":"m","messages":[]}`, auth, 400, "'messages'", true},
		{"bad content", `{"model":"m","messages":[{"role":"user","content":7}]}`, auth, 400, "messages.0.content", true},
		{"zero max_tokens", `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "'max_tokens'", true},
		{"content parts", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`, auth, 200, `"prompt_tokens":1,`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := post(t, url, tc.body, tc.header)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status %d body %s, want %d with %s", status, body, tc.status, tc.want)
			}
			if got := h.Get("x-ratelimit-limit-requests") != ""; got != tc.quota {
				t.Errorf("x-ratelimit-limit-requests sent: %v, want %v", got, tc.quota)
			}
		})
	}
}

func TestGroqModels(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	client := e.groqClient()
	page, err := client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range page.Data {
		found = found || m.ID == "openai/gpt-oss-120b"
	}
	if !found {
		t.Errorf("models %+v lack openai/gpt-oss-120b", page.Data)
	}
}

// Concurrent callers share one quota: exactly the limit succeeds, the rest get 429.
func TestGroqQuotaUnderConcurrency(t *testing.T) {
	e := newEnv(t, emulator.Config{GroqLimits: emulator.GroqLimits{RequestsPerDay: 20, TokensPerMinute: 100000}})
	client := e.groqClient()
	results := make(chan error, 50)
	for range 50 {
		go func() {
			_, err := groqCall(t, client, "Turn on the kitchen lights")
			results <- err
		}()
	}
	ok, limited := 0, 0
	for range 50 {
		var apiErr *openai.Error
		switch err := <-results; {
		case err == nil:
			ok++
		case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
			limited++
		default:
			t.Error(err)
		}
	}
	if ok != 20 || limited != 30 {
		t.Errorf("%d succeeded and %d were limited, want 20 and 30", ok, limited)
	}
}
