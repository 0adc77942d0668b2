package instrumentation

import (
	"net/url"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

func TestMatchPath(t *testing.T) {
	tests := []struct {
		provider Provider
		url      string
		want     bool
		op       string
		dialect  response.Dialect
		model    string
		stream   bool
	}{
		{Groq, "https://api.groq.com/openai/v1/chat/completions", true, "chat", response.OpenAIChat, "", false},
		{Groq, "http://127.0.0.1:9/proxy/openai/v1/chat/completions", true, "chat", response.OpenAIChat, "", false},
		{Groq, "https://api.groq.com/openai/v1/models", false, "", 0, "", false},
		{Groq, "https://api.groq.com/openai/v1/audio/transcriptions", true, "transcription", response.Transcription, "", false},
		{Groq, "http://127.0.0.1:9/proxy/openai/v1/audio/translations", true, "translation", response.Transcription, "", false},
		{Groq, "https://api.groq.com/openai/v1/audio/speech", true, "text_to_speech", response.Speech, "", false},
		{Groq, "https://api.groq.com/openai/v1/audio/voices", false, "", 0, "", false},
		{Groq, "https://api.groq.com/v1beta/models/gemini-2.5-flash:generateContent", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", true, "generate_content", response.GeminiNative, "gemini-2.5-flash", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaSECRET", true, "generate_content", response.GeminiNative, "gemini-2.5-flash", true},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent", true, "generate_content", response.GeminiNative, "gemini-2.0-flash", true},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions", true, "chat", response.OpenAIChat, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/:generateContent", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/a/b:generateContent", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/files", false, "", 0, "", false},
		{Gemini, "https://generativelanguage.googleapis.com/openai/v1/chat/completions", false, "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+" "+tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := matchPath(tt.provider, u)
			if ok != tt.want {
				t.Fatalf("matched %v, want %v", ok, tt.want)
			}
			if !ok {
				return
			}
			if r.operation != tt.op || r.dialect != tt.dialect || r.model != tt.model || r.stream != tt.stream || r.fromBody != (tt.dialect == response.OpenAIChat || tt.dialect == response.Speech) {
				t.Errorf("route %+v, want op %s dialect %v model %q stream %v", r, tt.op, tt.dialect, tt.model, tt.stream)
			}
		})
	}
}

func TestWithHostValidates(t *testing.T) {
	tests := []struct {
		hostport string
		provider Provider
		wantErr  bool
	}{
		{"127.0.0.1:8080", Groq, false},
		{"llm-proxy.internal", Gemini, false},
		{"", Groq, true},
		{"http://127.0.0.1:8080", Groq, true},
		{"127.0.0.1:8080", Provider("openai"), true},
	}
	for _, tt := range tests {
		_, err := New(WithHost(tt.hostport, tt.provider))
		if (err != nil) != tt.wantErr {
			t.Errorf("WithHost(%q, %q): err %v, want error %v", tt.hostport, tt.provider, err, tt.wantErr)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"nil tracer provider", WithTracerProvider(nil)},
		{"nil meter provider", WithMeterProvider(nil)},
		{"nil prices", WithPrices(nil)},
		{"alert threshold 0", WithQuotaAlert(0, func(quotaAlert) {})},
		{"alert threshold 1.5", WithQuotaAlert(1.5, func(quotaAlert) {})},
		{"nil alert callback", WithQuotaAlert(0.9, nil)},
		{"limit of unknown provider", WithLimits(quotaLimit{Provider: "openai", RequestsPerDay: 10})},
		{"negative limit", WithLimits(quotaLimit{Provider: Gemini, RequestsPerDay: -1})},
		{"limit without provider", WithLimits(quotaLimit{RequestsPerDay: 10})},
		{"limit setting nothing", WithLimits(quotaLimit{Provider: Gemini, RequestsPerDay: 10}, quotaLimit{Provider: Gemini, Model: "gemini-2.5-pro"})},
	}
	for _, tt := range tests {
		if _, err := New(tt.opt); err == nil {
			t.Errorf("%s: New succeeded, want an error", tt.name)
		}
	}
}

// TestBadLimitNamed rejects a limit that would track nothing or count below
// zero, with an error naming the limit and its field.
func TestBadLimitNamed(t *testing.T) {
	tests := []struct {
		limits []quotaLimit
		want   string
	}{
		{[]quotaLimit{{Provider: Gemini, Model: "gemini-2.5-flash", RequestsPerDay: 250}, {Provider: Gemini, Model: "gemini-2.5-pro"}},
			`instrumentation: WithLimits: limit 1: quota limit gcp.gemini "gemini-2.5-pro": none of RequestsPerMinute, RequestsPerDay, TokensPerMinute, AudioSecondsPerHour, AudioSecondsPerDay is set`},
		{[]quotaLimit{{Provider: Gemini, Model: "gemini-2.5-flash", TokensPerMinute: -1}},
			`instrumentation: WithLimits: limit 0: quota limit gcp.gemini "gemini-2.5-flash": TokensPerMinute: -1 is negative`},
		{[]quotaLimit{{Provider: "openai", RequestsPerDay: 10}},
			`instrumentation: WithLimits: limit 0: provider "openai" is not one of "groq", "gcp.gemini"`},
	}
	for _, tt := range tests {
		_, err := New(WithLimits(tt.limits...))
		if err == nil || err.Error() != tt.want {
			t.Errorf("New(WithLimits(%+v)) = %v, want %s", tt.limits, err, tt.want)
		}
	}
}

type (
	quotaAlert = quota.Alert
	quotaLimit = quota.Limit
)
