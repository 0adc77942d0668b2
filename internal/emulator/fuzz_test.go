package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/emulator"
)

// The request parsers must answer any body with a well-formed response, never a panic.

func FuzzGroqChat(f *testing.F) {
	for _, seed := range []string{
		`{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"openai/gpt-oss-120b","stream":true,"stream_options":{"include_usage":true},"max_tokens":3,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		`{"model":"compound-beta","messages":[{"role":"user","content":null}],"tools":[{"type":"function"}]}`,
		`{"model":"m","messages":[{"role":"user","content":7}]}`,
		`{"model":`,
	} {
		f.Add([]byte(seed))
	}
	emu, err := emulator.New(emulator.Config{GroqLimits: emulator.GroqLimits{RequestsPerDay: 1_000_000, TokensPerMinute: 1_000_000}})
	if err != nil {
		f.Fatal(err)
	}
	h := emu.GroqHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/openai/v1/chat/completions", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, "text/event-stream")
	})
}

// geminiCalls are the Gemini endpoints a fuzzed body is sent to.
var geminiCalls = []string{
	"/v1beta/models/gemini-2.5-flash:generateContent",
	"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
	"/v1beta/models/gemini-2.0-flash:streamGenerateContent",
	"/v1beta/models/gemini-2.0-flash:countTokens",
	"/v1beta/openai/chat/completions",
}

func FuzzGeminiGenerate(f *testing.F) {
	for _, seed := range []string{
		`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
		`{"contents":[{"parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"be brief"}]},"tools":[{"googleSearch":{}}],"generationConfig":{"maxOutputTokens":4,"thinkingConfig":{"thinkingBudget":0}}}`,
		`{"contents":[{"parts":[]}]}`,
		`{"contents":[{"parts":[{"text":"hi"}]}],"tools":[7]}`,
		`[]`,
		`{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
	} {
		for i := range geminiCalls {
			f.Add([]byte(seed), uint8(i))
		}
	}
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		f.Fatal(err)
	}
	h := emu.GeminiHandler()
	f.Fuzz(func(t *testing.T, body []byte, call uint8) {
		req := httptest.NewRequest(http.MethodPost, geminiCalls[int(call)%len(geminiCalls)], strings.NewReader(string(body)))
		req.Header.Set("x-goog-api-key", "k")
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, "text/event-stream")
	})
}

// checkAnswer fails unless the response is a success or a JSON error with a known status.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, streamType string) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK:
		if rec.Header().Get("Content-Type") != streamType && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("200 with invalid JSON: %q", rec.Body)
		}
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d with invalid JSON: %q", rec.Code, rec.Body)
		}
	default:
		t.Fatalf("status %d: %q", rec.Code, rec.Body)
	}
}
