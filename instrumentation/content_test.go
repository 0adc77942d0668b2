package instrumentation

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

func TestInputMessages(t *testing.T) {
	tests := []struct {
		name       string
		dialect    response.Dialect
		body       string
		wantMsgs   string
		wantSystem string
	}{{
		name:    "chat strings",
		dialect: response.OpenAIChat,
		body:    `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"}]}`,
		wantMsgs: `[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"Capital of France?"}]}]`,
	}, {
		name:     "chat parts keep text, list images by type",
		dialect:  response.OpenAIChat,
		body:     `{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
		wantMsgs: `[{"role":"user","parts":[{"type":"text","content":"What is this?"},{"type":"image_url"}]}]`,
	}, {
		name:       "gemini contents and system instruction",
		dialect:    response.GeminiNative,
		body:       `{"contents":[{"role":"user","parts":[{"text":"Hi"},{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]},{"role":"model","parts":[{"text":"Hello"}]}],"systemInstruction":{"parts":[{"text":"Be brief."}]}}`,
		wantMsgs:   `[{"role":"user","parts":[{"type":"text","content":"Hi"},{"type":"blob"}]},{"role":"assistant","parts":[{"type":"text","content":"Hello"}]}]`,
		wantSystem: `[{"type":"text","content":"Be brief."}]`,
	}, {
		name:    "not json",
		dialect: response.OpenAIChat,
		body:    `{"messages":[`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, system := inputMessages(tt.dialect, []byte(tt.body))
			if msgs != tt.wantMsgs || system != tt.wantSystem {
				t.Errorf("got\n%s\n%s\nwant\n%s\n%s", msgs, system, tt.wantMsgs, tt.wantSystem)
			}
		})
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
		for _, provider := range []Provider{Groq, Gemini} {
			opts := []Option{WithHost(hostOf(t, srv.URL), provider)}
			if content {
				opts = append(opts, WithContent())
			}
			h := newHarness(t, opts...)
			httpClient := &http.Client{Transport: h.inst.Transport(nil)}
			ctx := context.Background()
			if provider == Groq {
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
					t.Errorf("%s: prompt recorded in %s without WithContent", provider, k)
				}
			}
			wantAttrs(t, got, map[attribute.Key]any{semconv.GenAIUsageInputTokens: map[Provider]int{Groq: 336, Gemini: 4704}[provider]})
		}
	}
}
