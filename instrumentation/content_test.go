package instrumentation

import (
	"testing"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
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
