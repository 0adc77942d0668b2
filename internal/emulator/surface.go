package emulator

import "net/http"

// geminiSurface registers the Gemini API's surface beyond content generation: explicit
// caches and batch jobs. Embeddings and batch creation are model methods, served by
// geminiSurfaceCall.
func (e *Emulator) geminiSurface(mux *http.ServeMux) {
	mux.HandleFunc("POST /{version}/cachedContents", func(w http.ResponseWriter, r *http.Request) {
		if e.geminiAuthorized(w, geminiKey(r), errorPlain) {
			e.createCache(w, r)
		}
	})
	// Each API version apart: a wildcard version would collide with Live's /ws/ paths.
	for _, v := range []string{"v1beta", "v1alpha", "v1"} {
		mux.HandleFunc("GET /"+v+"/batches/{id}", e.getBatch)
	}
}

// geminiSurfaceCall serves the model methods beyond generateContent and countTokens on the
// Gemini API: :embedContent, :batchEmbedContents and :batchGenerateContent. It reports
// false for a method it does not know.
func (e *Emulator) geminiSurfaceCall(w http.ResponseWriter, r *http.Request, model, method string) bool {
	var serve func(http.ResponseWriter, *http.Request, string)
	switch method {
	case "embedContent":
		serve = e.embedContent
	case "batchEmbedContents":
		serve = e.batchEmbedContents
	case "batchGenerateContent":
		serve = e.batchGenerateContent
	default:
		return false
	}
	if e.geminiAuthorized(w, geminiKey(r), errorPlain) {
		serve(w, r, model)
	}
	return true
}

// groqSurface registers Groq's surface beyond chat completions: the Responses API and
// batch jobs with the files they read and write.
func (e *Emulator) groqSurface(mux *http.ServeMux) {
	mux.HandleFunc("POST /openai/v1/responses", e.groqResponses)
	mux.HandleFunc("POST /openai/v1/files", e.groqUploadFile)
	mux.HandleFunc("GET /openai/v1/files/{id}/content", e.groqFileContent)
	mux.HandleFunc("POST /openai/v1/batches", e.groqCreateBatch)
	mux.HandleFunc("GET /openai/v1/batches/{id}", e.groqGetBatch)
	mux.HandleFunc("POST /openai/v1/batches/{id}/cancel", e.groqCancelBatch)
}
