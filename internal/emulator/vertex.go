package emulator

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// VertexHandler serves Vertex AI's Gemini endpoints: POST
// /{version}/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}
// (and the same without projects/{project}/locations/{location}, as express mode calls
// it) for generateContent, streamGenerateContent, countTokens, embedContent and
// :predict (text embeddings), and POST .../cachedContents. Answers are the Gemini API's
// with Vertex AI's differences: usageMetadata.trafficType instead of serviceTier, the
// tier asked for in X-Vertex-AI-LLM-* headers, embeddings' plural prompt details and
// totals, :predict's statistics and billableCharacterCount. Any non-empty bearer token
// (OAuth) or API key (express mode) is accepted.
func (e *Emulator) VertexHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{version}/projects/{project}/locations/{location}/publishers/{publisher}/models/{call}", e.vertexModelCall)
	mux.HandleFunc("POST /{version}/publishers/{publisher}/models/{call}", e.vertexModelCall)
	mux.HandleFunc("POST /{version}/projects/{project}/locations/{location}/cachedContents", func(w http.ResponseWriter, r *http.Request) {
		if e.vertexAuthorized(w, r) {
			e.createCache(w, asVertex(r))
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
	})
	return mux
}

// vertexAuthorized answers 401 as Vertex AI does to a request without credentials.
func (e *Emulator) vertexAuthorized(w http.ResponseWriter, r *http.Request) bool {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.TrimSpace(token) != "" || geminiKey(r) != "" {
		return true
	}
	writeGeminiError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
		"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.", nil, errorPlain)
	return false
}

// vertexModelCall serves a call on a publisher model.
func (e *Emulator) vertexModelCall(w http.ResponseWriter, r *http.Request) {
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if !ok || model == "" {
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
		return
	}
	if !e.vertexAuthorized(w, r) {
		return
	}
	r = asVertex(r)
	switch method {
	case "generateContent", "countTokens":
		e.modelCall(w, r, model, method, errorPlain, false)
	case "streamGenerateContent":
		sse := r.URL.Query().Get("alt") == "sse"
		form := errorInArray
		if sse {
			form = errorUnderSSE
		}
		e.modelCall(w, r, model, method, form, sse)
	case "embedContent":
		e.embedContent(w, r, model)
	case "predict":
		e.predictEmbeddings(w, r, model)
	default:
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Method %q is not supported for publisher model %s.", method, model), nil, errorPlain)
	}
}

// StartVertex adds a Vertex AI listener on addr to s, served until s.Shutdown; its root
// is then s.VertexURL. The instrumentation maps a host:port to one provider, so Vertex AI
// needs a listener of its own.
func (e *Emulator) StartVertex(s *Servers, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for vertex ai on %q: %w", addr, err)
	}
	s.VertexURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: e.VertexHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return nil
}
