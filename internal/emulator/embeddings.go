package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"
)

// defaultDimensions is the length of the vectors the emulator answers with when the
// request names none; real models answer with 768 to 3072, which tests have no use for.
const defaultDimensions = 8

// embedRequest is one content to embed, as embedContent takes it and batchEmbedContents
// lists it.
type embedRequest struct {
	Model                string        `json:"model"`
	Content              geminiContent `json:"content"`
	OutputDimensionality int           `json:"outputDimensionality"`
}

// geminiEmbedding is one vector of an answer.
type geminiEmbedding struct {
	Values []float64 `json:"values"`
}

// embedUsage is the usageMetadata of an embeddings answer: the Gemini API writes
// promptTokenDetails (singular) and no total, Vertex AI promptTokensDetails and a total.
type embedUsage struct {
	PromptTokenCount    int             `json:"promptTokenCount"`
	PromptTokenDetails  []modalityCount `json:"promptTokenDetails,omitempty"`
	PromptTokensDetails []modalityCount `json:"promptTokensDetails,omitempty"`
	TotalTokenCount     int             `json:"totalTokenCount,omitempty"`
}

// embeddingUsage is what an embeddings answer reports for tokens: nothing at all for
// gemini-embedding-001 and preview models on the Gemini API, as recorded traffic shows.
func embeddingUsage(vertex bool, model string, tokens int) *embedUsage {
	switch {
	case vertex:
		return &embedUsage{PromptTokenCount: tokens, PromptTokensDetails: textCount(tokens), TotalTokenCount: tokens}
	case model == "gemini-embedding-001", strings.HasSuffix(model, "-preview"):
		return nil
	}
	return &embedUsage{PromptTokenCount: tokens, PromptTokenDetails: textCount(tokens)}
}

// vector derives a deterministic unit-length vector of n values from text.
func vector(text string, n int) []float64 {
	if n <= 0 {
		n = defaultDimensions
	}
	out := make([]float64, n)
	var norm float64
	for i := range out {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", i, text)))
		v := float64(int32(binary.BigEndian.Uint32(h[:4]))) / math.MaxInt32
		out[i], norm = v, norm+v*v
	}
	for i := range out {
		out[i] = math.Round(out[i]/math.Sqrt(norm)*1e8) / 1e8
	}
	return out
}

// partsText joins the text parts of c.
func partsText(c geminiContent) string {
	var b strings.Builder
	for _, p := range c.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// readEmbedBody decodes an embeddings request body into v, answering 400 itself when it
// cannot.
func readEmbedBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Invalid JSON payload received. %v", err), nil, errorPlain)
		return false
	}
	return true
}

// embedContent serves :embedContent, on the Gemini API and on Vertex AI.
func (e *Emulator) embedContent(w http.ResponseWriter, r *http.Request, model string) {
	var req embedRequest
	if !readEmbedBody(w, r, &req) {
		return
	}
	text := partsText(req.Content)
	if len(req.Content.Parts) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* EmbedContentRequest.content: contents is not specified", nil, errorPlain)
		return
	}
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(struct {
		Embedding     geminiEmbedding `json:"embedding"`
		UsageMetadata *embedUsage     `json:"usageMetadata,omitempty"`
	}{geminiEmbedding{vector(text, req.OutputDimensionality)}, embeddingUsage(onVertex(r), model, CountTokens(text))}))
}

// batchEmbedContents serves the Gemini API's :batchEmbedContents: one vector per
// request and one usage for them all.
func (e *Emulator) batchEmbedContents(w http.ResponseWriter, r *http.Request, model string) {
	var req struct {
		Requests []embedRequest `json:"requests"`
	}
	if !readEmbedBody(w, r, &req) {
		return
	}
	if len(req.Requests) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* BatchEmbedContentsRequest.requests: requests is not specified", nil, errorPlain)
		return
	}
	out := struct {
		Embeddings    []geminiEmbedding `json:"embeddings"`
		UsageMetadata *embedUsage       `json:"usageMetadata,omitempty"`
	}{}
	tokens := 0
	for _, q := range req.Requests {
		text := partsText(q.Content)
		tokens += CountTokens(text)
		out.Embeddings = append(out.Embeddings, geminiEmbedding{vector(text, q.OutputDimensionality)})
	}
	out.UsageMetadata = embeddingUsage(false, model, tokens)
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(out))
}

// predictEmbeddings serves Vertex AI's :predict for text embedding models: per instance
// a vector with statistics.token_count, and metadata.billableCharacterCount, the
// characters billed (white space is not).
func (e *Emulator) predictEmbeddings(w http.ResponseWriter, r *http.Request, model string) {
	if !strings.Contains(model, "embedding") {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("The emulator serves :predict for embedding models only, not %s.", model), nil, errorPlain)
		return
	}
	var req struct {
		Instances []struct {
			Content string `json:"content"`
		} `json:"instances"`
		Parameters struct {
			OutputDimensionality int `json:"outputDimensionality"`
		} `json:"parameters"`
	}
	if !readEmbedBody(w, r, &req) {
		return
	}
	if len(req.Instances) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "instances must not be empty", nil, errorPlain)
		return
	}
	type statistics struct {
		TokenCount int  `json:"token_count"`
		Truncated  bool `json:"truncated"`
	}
	type prediction struct {
		Embeddings struct {
			Statistics statistics `json:"statistics"`
			Values     []float64  `json:"values"`
		} `json:"embeddings"`
	}
	out := struct {
		Predictions []prediction `json:"predictions"`
		Metadata    struct {
			BillableCharacterCount int `json:"billableCharacterCount"`
		} `json:"metadata"`
	}{}
	for _, in := range req.Instances {
		var p prediction
		p.Embeddings.Statistics.TokenCount = CountTokens(in.Content)
		p.Embeddings.Values = vector(in.Content, req.Parameters.OutputDimensionality)
		out.Predictions = append(out.Predictions, p)
		out.Metadata.BillableCharacterCount += billableCharacters(in.Content)
	}
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(out))
}

// billableCharacters counts the characters Vertex AI bills for text: all but white space
// ("Hello, world!" is 12, as recorded).
func billableCharacters(text string) int {
	n := 0
	for _, c := range text {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	return n
}
