package instrumentation

import (
	"net/url"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Provider names an AI provider, as recorded in gen_ai.provider.name.
type Provider = semconv.Provider

// Providers the instrumentation recognises.
const (
	Groq     Provider = semconv.ProviderGroq
	Gemini   Provider = semconv.ProviderGemini
	VertexAI Provider = semconv.ProviderVertexAI
)

// dialects lists the providers the instrumentation knows.
var dialects = map[Provider]struct{}{Groq: {}, Gemini: {}, VertexAI: {}}

// wellKnownHosts are recognised without configuration; so are Vertex AI's regional
// hosts (vertexHost).
var wellKnownHosts = map[string]Provider{
	"api.groq.com":                          Groq,
	"api.groq.com:443":                      Groq,
	"generativelanguage.googleapis.com":     Gemini,
	"generativelanguage.googleapis.com:443": Gemini,
	"aiplatform.googleapis.com":             VertexAI,
	"aiplatform.googleapis.com:443":         VertexAI,
}

// route is what a recognised request is: which provider, which operation, how
// its response body is parsed, and where the request model and stream flag are.
type route struct {
	provider  Provider
	operation string
	dialect   response.Dialect
	// model and stream come from the URL for Gemini's native API; for chat
	// completions they are read from the JSON request body (fromBody).
	model    string
	stream   bool
	fromBody bool

	// tierInBody: the request body may name the service tier asked for (Gemini
	// serviceTier, Groq service_tier), so it is read even when the model is in the URL.
	tierInBody bool
	// resultsFile names the batch results file a download reads ("files/abc"), the
	// key its results are counted once under.
	resultsFile string
}

// Paths of the recognised operations. A proxy may mount them under a prefix.
const (
	groqChatPath       = "/openai/v1/chat/completions"
	geminiChatPath     = "/v1beta/openai/chat/completions"
	geminiModelsPrefix = "/models/"
)

// matchPath returns the route of a request to provider p's host, or false when
// the path is not an operation the instrumentation records.
func matchPath(p Provider, u *url.URL) (route, bool) {
	path := u.Path
	switch p {
	case Groq:
		if strings.HasSuffix(path, groqChatPath) {
			return route{provider: Groq, operation: semconv.OperationChat, dialect: response.OpenAIChat, fromBody: true}, true
		}
		// Voice: speech-to-text, translation, text-to-speech (route_voice.go).
		if rt, ok := matchGroqVoice(path); ok {
			return rt, true
		}
	case Gemini:
		if strings.HasSuffix(path, geminiChatPath) {
			return route{provider: Gemini, operation: semconv.OperationChat, dialect: response.OpenAIChat, fromBody: true}, true
		}
		return modelRoute(Gemini, path)
	}
	return route{}, false
}

// The rest of the billable surface: Vertex AI, embeddings, token counting, explicit
// caches, batch jobs and the Responses API.

// providerOf returns the provider of a request host: a configured or well-known host,
// or one of Vertex AI's regional hosts.
func (i *Instrumentation) providerOf(host string) (Provider, bool) {
	if p, ok := i.hosts[host]; ok {
		return p, true
	}
	if vertexHost(host) {
		return VertexAI, true
	}
	return "", false
}

// vertexHost reports whether host[:443] is one of Vertex AI's regional endpoints:
// {region}-aiplatform.googleapis.com or aiplatform.{region}.rep.googleapis.com.
func vertexHost(host string) bool {
	host = strings.TrimSuffix(host, ":443")
	if region, ok := strings.CutSuffix(host, "-aiplatform.googleapis.com"); ok {
		return validRegion(region)
	}
	if rest, ok := strings.CutPrefix(host, "aiplatform."); ok {
		if region, ok := strings.CutSuffix(rest, ".rep.googleapis.com"); ok {
			return validRegion(region)
		}
	}
	return false
}

// validRegion reports whether s can be a Google Cloud region name ("us-central1").
func validRegion(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Paths of the surface operations. A proxy may mount them under a prefix.
const (
	groqResponsesPath   = "/openai/v1/responses"
	groqBatchesPath     = "/openai/v1/batches"
	groqFilesPath       = "/openai/v1/files/"
	geminiEmbedPath     = "/v1beta/openai/embeddings"
	vertexOpenAIChat    = "/endpoints/openapi/chat/completions"
	cachedContentsPath  = "/cachedContents"
	geminiBatchesPrefix = "/batches/"
	geminiFilesPrefix   = "/files/"
)

// modelMethods maps the method after a Gemini or Vertex AI model path
// (".../models/{model}:{method}") to what the call is.
var modelMethods = map[string]struct {
	operation string
	dialect   response.Dialect
	stream    bool
	vertex    bool // Vertex AI only
	gemini    bool // Gemini API only
}{
	"generateContent":        {operation: semconv.OperationGenerateContent, dialect: response.GeminiNative},
	"streamGenerateContent":  {operation: semconv.OperationGenerateContent, dialect: response.GeminiNative, stream: true},
	"countTokens":            {operation: semconv.OperationCountTokens, dialect: response.GeminiNative},
	"embedContent":           {operation: semconv.OperationEmbeddings, dialect: response.GeminiEmbeddings},
	"batchEmbedContents":     {operation: semconv.OperationEmbeddings, dialect: response.GeminiEmbeddings, gemini: true},
	"predict":                {operation: semconv.OperationEmbeddings, dialect: response.GeminiEmbeddings, vertex: true},
	"batchGenerateContent":   {operation: semconv.OperationBatch, dialect: response.BatchJob, gemini: true},
	"asyncBatchEmbedContent": {operation: semconv.OperationBatch, dialect: response.BatchJob, gemini: true},
}

// matchSurface returns the route of a surface operation of provider p, or false. It
// is asked after matchPath, which knows chat and the Gemini API's model calls.
func matchSurface(p Provider, method string, u *url.URL) (route, bool) {
	path := u.Path
	switch p {
	case Groq:
		switch {
		case method == "POST" && strings.HasSuffix(path, groqResponsesPath):
			return route{provider: Groq, operation: semconv.OperationChat, dialect: response.OpenAIResponses, fromBody: true}, true
		case strings.HasSuffix(path, groqBatchesPath) && method == "POST",
			groqBatchCall(path, method):
			return route{provider: Groq, operation: semconv.OperationBatch, dialect: response.BatchJob}, true
		}
		if i := strings.LastIndex(path, groqFilesPath); i >= 0 && method == "GET" {
			id, ok := strings.CutSuffix(path[i+len(groqFilesPath):], "/content")
			if ok && segment(id) {
				return route{provider: Groq, operation: semconv.OperationBatch, dialect: response.BatchFile, resultsFile: id}, true
			}
		}
	case Gemini:
		switch {
		case method == "POST" && strings.HasSuffix(path, geminiEmbedPath):
			return route{provider: Gemini, operation: semconv.OperationEmbeddings, dialect: response.OpenAIEmbeddings, fromBody: true}, true
		case method == "POST" && strings.HasSuffix(path, cachedContentsPath):
			return route{provider: Gemini, operation: semconv.OperationCreateCache, dialect: response.GeminiCachedContent}, true
		}
		if i := strings.LastIndex(path, geminiBatchesPrefix); i >= 0 {
			id, cancel := strings.CutSuffix(path[i+len(geminiBatchesPrefix):], ":cancel")
			if segment(id) && (cancel && method == "POST" || !cancel && (method == "GET" || method == "DELETE")) {
				return route{provider: Gemini, operation: semconv.OperationBatch, dialect: response.BatchJob}, true
			}
		}
		if i := strings.LastIndex(path, geminiFilesPrefix); i >= 0 && method == "GET" {
			if id, ok := strings.CutSuffix(path[i+len(geminiFilesPrefix):], ":download"); ok && segment(id) {
				return route{provider: Gemini, operation: semconv.OperationBatch, dialect: response.BatchFile, resultsFile: "files/" + id}, true
			}
		}
	case VertexAI:
		switch {
		case method == "POST" && strings.HasSuffix(path, vertexOpenAIChat):
			return route{provider: VertexAI, operation: semconv.OperationChat, dialect: response.OpenAIChat, fromBody: true}, true
		case method == "POST" && strings.HasSuffix(path, cachedContentsPath):
			return route{provider: VertexAI, operation: semconv.OperationCreateCache, dialect: response.GeminiCachedContent}, true
		}
		return modelRoute(p, path)
	}
	return route{}, false
}

// modelRoute matches ".../models/{model}:{method}": the Gemini API's
// /v1beta/models/gemini-2.5-flash:countTokens, Vertex AI's
// /v1/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:generateContent.
func modelRoute(p Provider, path string) (route, bool) {
	i := strings.LastIndex(path, geminiModelsPrefix)
	if i < 0 {
		return route{}, false
	}
	model, method, ok := strings.Cut(path[i+len(geminiModelsPrefix):], ":")
	m, known := modelMethods[method]
	if !ok || !known || !segment(model) || m.vertex && p != VertexAI || m.gemini && p != Gemini {
		return route{}, false
	}
	if method == "predict" && !strings.Contains(model, "embedding") {
		return route{}, false // :predict also serves image generation, billed per image
	}
	return route{
		provider: p, operation: m.operation, dialect: m.dialect, model: model, stream: m.stream,
		tierInBody: m.operation == semconv.OperationGenerateContent,
	}, true
}

// groqBatchCall reports whether a request to path is a call on one Groq batch:
// GET /openai/v1/batches/{id} or POST /openai/v1/batches/{id}/cancel.
func groqBatchCall(path, method string) bool {
	i := strings.LastIndex(path, groqBatchesPath+"/")
	if i < 0 {
		return false
	}
	rest := path[i+len(groqBatchesPath)+1:]
	if id, ok := strings.CutSuffix(rest, "/cancel"); ok {
		return method == "POST" && segment(id)
	}
	return method == "GET" && segment(rest)
}

// segment reports whether s is one non-empty path segment.
func segment(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/:")
}
