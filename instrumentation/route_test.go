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
		{Gemini, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens", true, "count_tokens", response.GeminiNative, "gemini-2.5-flash", false},
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

// TestMatchSurface routes the rest of the billable surface: Vertex AI, embeddings,
// token counting, explicit caches, batch jobs and the Responses API.
func TestMatchSurface(t *testing.T) {
	const vertex = "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/p/locations/us-central1/publishers/google/models/"
	tests := []struct {
		provider Provider
		method   string
		url      string
		want     route // the zero route: not recorded
	}{
		{VertexAI, "POST", vertex + "gemini-2.5-flash:generateContent",
			route{provider: VertexAI, operation: "generate_content", dialect: response.GeminiNative, model: "gemini-2.5-flash", tierInBody: true}},
		{VertexAI, "POST", vertex + "gemini-2.5-flash:streamGenerateContent?alt=sse",
			route{provider: VertexAI, operation: "generate_content", dialect: response.GeminiNative, model: "gemini-2.5-flash", stream: true, tierInBody: true}},
		{VertexAI, "POST", vertex + "gemini-2.5-flash:countTokens",
			route{provider: VertexAI, operation: "count_tokens", dialect: response.GeminiNative, model: "gemini-2.5-flash"}},
		{VertexAI, "POST", vertex + "gemini-embedding-001:embedContent",
			route{provider: VertexAI, operation: "embeddings", dialect: response.GeminiEmbeddings, model: "gemini-embedding-001"}},
		{VertexAI, "POST", vertex + "text-embedding-005:predict",
			route{provider: VertexAI, operation: "embeddings", dialect: response.GeminiEmbeddings, model: "text-embedding-005"}},
		{VertexAI, "POST", vertex + "imagen-3.0-generate-002:predict", route{}},
		{VertexAI, "POST", vertex + "gemini-2.5-flash:batchGenerateContent", route{}}, // Gemini API only
		// Express mode: no project in the path, the key in the query.
		{VertexAI, "POST", "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:generateContent?key=AQ.SECRET",
			route{provider: VertexAI, operation: "generate_content", dialect: response.GeminiNative, model: "gemini-2.5-flash", tierInBody: true}},
		{VertexAI, "POST", "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi/chat/completions",
			route{provider: VertexAI, operation: "chat", dialect: response.OpenAIChat, fromBody: true}},
		{VertexAI, "POST", "https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/cachedContents",
			route{provider: VertexAI, operation: "create_cache", dialect: response.GeminiCachedContent}},
		{VertexAI, "GET", "https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/cachedContents/123", route{}},
		{VertexAI, "POST", "https://aiplatform.googleapis.com/v1/projects/p/locations/l/endpoints/123:generateContent", route{}},

		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent",
			route{provider: Gemini, operation: "embeddings", dialect: response.GeminiEmbeddings, model: "gemini-embedding-001"}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
			route{provider: Gemini, operation: "embeddings", dialect: response.GeminiEmbeddings, model: "gemini-embedding-001"}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:predict", route{}}, // Vertex AI only
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/openai/embeddings",
			route{provider: Gemini, operation: "embeddings", dialect: response.OpenAIEmbeddings, fromBody: true}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/cachedContents",
			route{provider: Gemini, operation: "create_cache", dialect: response.GeminiCachedContent}},
		{Gemini, "GET", "https://generativelanguage.googleapis.com/v1beta/cachedContents", route{}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:batchGenerateContent",
			route{provider: Gemini, operation: "batch", dialect: response.BatchJob, model: "gemini-2.5-flash"}},
		{Gemini, "GET", "https://generativelanguage.googleapis.com/v1beta/batches/123abc",
			route{provider: Gemini, operation: "batch", dialect: response.BatchJob}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/batches/123abc:cancel",
			route{provider: Gemini, operation: "batch", dialect: response.BatchJob}},
		{Gemini, "GET", "https://generativelanguage.googleapis.com/v1beta/batches", route{}},
		{Gemini, "POST", "https://generativelanguage.googleapis.com/v1beta/batches/123abc", route{}},
		{Gemini, "GET", "https://generativelanguage.googleapis.com/download/v1beta/files/batch-out:download?alt=media",
			route{provider: Gemini, operation: "batch", dialect: response.BatchFile, resultsFile: "files/batch-out"}},
		{Gemini, "GET", "https://generativelanguage.googleapis.com/v1beta/files/abc", route{}},

		{Groq, "POST", "https://api.groq.com/openai/v1/responses",
			route{provider: Groq, operation: "chat", dialect: response.OpenAIResponses, fromBody: true}},
		{Groq, "POST", "https://api.groq.com/openai/v1/batches",
			route{provider: Groq, operation: "batch", dialect: response.BatchJob}},
		{Groq, "GET", "https://api.groq.com/openai/v1/batches", route{}},
		{Groq, "GET", "https://api.groq.com/openai/v1/batches/batch_01abc",
			route{provider: Groq, operation: "batch", dialect: response.BatchJob}},
		{Groq, "POST", "https://api.groq.com/openai/v1/batches/batch_01abc/cancel",
			route{provider: Groq, operation: "batch", dialect: response.BatchJob}},
		{Groq, "GET", "https://api.groq.com/openai/v1/files/file_01abc/content",
			route{provider: Groq, operation: "batch", dialect: response.BatchFile, resultsFile: "file_01abc"}},
		{Groq, "GET", "https://api.groq.com/openai/v1/files/file_01abc", route{}},
		{Groq, "POST", "https://api.groq.com/openai/v1/files", route{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+" "+tt.method+" "+tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := matchPath(tt.provider, u)
			if !ok {
				got, ok = matchSurface(tt.provider, tt.method, u)
			}
			if ok != (tt.want != route{}) || got != tt.want {
				t.Errorf("route %+v (matched %v), want %+v", got, ok, tt.want)
			}
		})
	}
}

// TestVertexHosts recognises Vertex AI's global and regional hosts, and nothing that
// merely resembles them.
func TestVertexHosts(t *testing.T) {
	inst, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"aiplatform.googleapis.com":                     true,
		"aiplatform.googleapis.com:443":                 true,
		"us-central1-aiplatform.googleapis.com":         true,
		"europe-west4-aiplatform.googleapis.com:443":    true,
		"aiplatform.us-central1.rep.googleapis.com":     true,
		"-aiplatform.googleapis.com":                    false,
		"us-central1-aiplatform.googleapis.com:8443":    false,
		"evil.com/x-aiplatform.googleapis.com":          false,
		"us_central1-aiplatform.googleapis.com":         false,
		"us-central1-aiplatform.googleapis.com.evil.io": false,
		"generativelanguage.googleapis.com":             false,
	} {
		p, ok := inst.providerOf(host)
		if ok != want || ok && p != VertexAI {
			if host == "generativelanguage.googleapis.com" && p == Gemini {
				continue
			}
			t.Errorf("providerOf(%q) = %q, %v; want Vertex AI %v", host, p, ok, want)
		}
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
		{"127.0.0.1:8080", VertexAI, false},
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
			`instrumentation: WithLimits: limit 0: provider "openai" is not one of "groq", "gcp.gemini", "gcp.vertex_ai"`},
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
