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
	Groq   Provider = semconv.ProviderGroq
	Gemini Provider = semconv.ProviderGemini
)

// dialects lists the providers the instrumentation knows.
var dialects = map[Provider]struct{}{Groq: {}, Gemini: {}}

// wellKnownHosts are recognised without configuration.
var wellKnownHosts = map[string]Provider{
	"api.groq.com":                          Groq,
	"api.groq.com:443":                      Groq,
	"generativelanguage.googleapis.com":     Gemini,
	"generativelanguage.googleapis.com:443": Gemini,
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
}

// Paths of the recognised operations. A proxy may mount them under a prefix.
const (
	groqChatPath       = "/openai/v1/chat/completions"
	geminiChatPath     = "/v1beta/openai/chat/completions"
	geminiModelsPrefix = "/models/"
	geminiGenerate     = ":generateContent"
	geminiStream       = ":streamGenerateContent"
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
		i := strings.LastIndex(path, geminiModelsPrefix)
		if i < 0 {
			return route{}, false
		}
		rest := path[i+len(geminiModelsPrefix):]
		var model string
		var stream bool
		switch {
		case strings.HasSuffix(rest, geminiGenerate):
			model = rest[:len(rest)-len(geminiGenerate)]
		case strings.HasSuffix(rest, geminiStream):
			model, stream = rest[:len(rest)-len(geminiStream)], true
		default:
			return route{}, false
		}
		if model == "" || strings.ContainsAny(model, "/:") {
			return route{}, false
		}
		return route{provider: Gemini, operation: semconv.OperationGenerateContent, dialect: response.GeminiNative, model: model, stream: stream}, true
	}
	return route{}, false
}
