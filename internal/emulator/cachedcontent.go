package emulator

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// defaultCacheTTL is how long an explicit cache lives when the request sets no ttl.
const defaultCacheTTL = time.Hour

// cacheRequest is the part of a cachedContents creation the emulator reads.
type cacheRequest struct {
	Model             string          `json:"model"`
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	TTL               string          `json:"ttl"`
	DisplayName       string          `json:"displayName"`
}

// cachedContent is the resource creating a cache answers with: its usageMetadata's
// totalTokenCount is what the creation is billed for, as input.
type cachedContent struct {
	Name          string `json:"name"`
	Model         string `json:"model"`
	DisplayName   string `json:"displayName,omitempty"`
	CreateTime    string `json:"createTime"`
	UpdateTime    string `json:"updateTime"`
	ExpireTime    string `json:"expireTime"`
	UsageMetadata struct {
		TotalTokenCount int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
}

// createCache serves POST cachedContents on the Gemini API and on Vertex AI, whose
// resource names carry the project and location.
func (e *Emulator) createCache(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var req cacheRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Invalid JSON payload received. %v", err), nil, errorPlain)
		return
	}
	if req.Model == "" || len(req.Contents) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* CreateCachedContentRequest.cached_content: model and contents must be set", nil, errorPlain)
		return
	}
	ttl := defaultCacheTTL
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("* CreateCachedContentRequest.cached_content.ttl: %q is not a duration", req.TTL), nil, errorPlain)
			return
		}
		ttl = d
	}
	tokens := 0
	for _, c := range append(req.Contents, deref(req.SystemInstruction)) {
		for _, p := range c.Parts {
			tokens += CountTokens(p.Text)
		}
	}
	e.mu.Lock()
	now, h := e.now().UTC(), e.ids.next()
	e.mu.Unlock()
	model := req.Model[strings.LastIndex(req.Model, "/")+1:]
	c := cachedContent{
		Name: "cachedContents/" + geminiResponseID(h), Model: "models/" + model, DisplayName: req.DisplayName,
		CreateTime: now.Format(time.RFC3339Nano), UpdateTime: now.Format(time.RFC3339Nano),
		ExpireTime: now.Add(ttl).Format(time.RFC3339Nano),
	}
	if onVertex(r) {
		scope := "projects/" + r.PathValue("project") + "/locations/" + r.PathValue("location")
		c.Name = scope + "/cachedContents/" + fmt.Sprint(binary.BigEndian.Uint64(h[:8])>>1)
		c.Model = scope + "/publishers/google/models/" + model
	}
	c.UsageMetadata.TotalTokenCount = tokens
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(c))
}

// deref returns *c, or the zero content when c is nil.
func deref(c *geminiContent) geminiContent {
	if c == nil {
		return geminiContent{}
	}
	return *c
}
