package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CapacityExhaustedTrigger in a Gemini prompt makes the emulator answer 429
// RESOURCE_EXHAUSTED without QuotaFailure or RetryInfo details, as Gemini does when it is
// short of capacity rather than the project out of quota. Such a call counts against no quota.
const CapacityExhaustedTrigger = "emulate:capacity_exhausted"

// geminiChunkTokens is how many reply tokens one Gemini stream chunk carries.
const geminiChunkTokens = 8

// geminiPromptDrift is how much larger the prompt count on Gemini's early stream chunks is
// than the final one (real streams were seen reporting 15, then 13).
const geminiPromptDrift = 2

// GeminiHandler serves the Gemini API: POST /v1beta/models/{model}:generateContent,
// :streamGenerateContent (with and without alt=sse) and :countTokens, and the
// OpenAI-compatible POST /v1beta/openai/chat/completions.
func (e *Emulator) GeminiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{version}/models/{call}", e.geminiModelCall)
	mux.HandleFunc("POST /v1beta/openai/chat/completions", e.geminiOpenAIChat)
	e.geminiSurface(mux)
	e.registerGeminiLive(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
	})
	return mux
}

// geminiErrorForm is how an error body is framed: plain, or as the one element of an array
// (the JSON-array stream and the OpenAI-compatible endpoint), or plain under an
// event-stream content type (the SSE stream endpoint).
type geminiErrorForm int

const (
	errorPlain geminiErrorForm = iota
	errorInArray
	errorUnderSSE
)

type geminiErrorBody struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func writeGeminiError(w http.ResponseWriter, code int, status, message string, details []map[string]any, form geminiErrorForm) {
	var v any = struct {
		Error geminiErrorBody `json:"error"`
	}{geminiErrorBody{code, message, status, details}}
	contentType := "application/json; charset=UTF-8"
	switch form {
	case errorInArray:
		v = []any{v}
	case errorUnderSSE:
		contentType = "text/event-stream"
	}
	setGoogleHeaders(w.Header())
	writeJSON(w, code, contentType, encodeIndented(v))
}

func setGoogleHeaders(h http.Header) {
	h["Vary"] = []string{"Origin", "X-Origin", "Referer"}
	h.Set("Server", "scaffolding on HTTPServer2")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-XSS-Protection", "0")
}

// geminiKey returns the request's API key: the x-goog-api-key header or the key= query.
func geminiKey(r *http.Request) string {
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return k
	}
	return r.URL.Query().Get("key")
}

// geminiAuthorized answers 403 for a missing key and 400 for a wrong one, as Gemini does.
func (e *Emulator) geminiAuthorized(w http.ResponseWriter, key string, form geminiErrorForm) bool {
	switch {
	case key == "":
		writeGeminiError(w, http.StatusForbidden, "PERMISSION_DENIED",
			"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil, form)
		return false
	case e.cfg.APIKey != "" && key != e.cfg.APIKey:
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			[]map[string]any{{
				"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
				"reason":   "API_KEY_INVALID",
				"domain":   "googleapis.com",
				"metadata": map[string]string{"service": "generativelanguage.googleapis.com"},
			}}, form)
		return false
	}
	return true
}

// geminiRequest is the part of a generateContent request the emulator reads. The REST API
// accepts both camelCase and snake_case field names.
type geminiRequest struct {
	Contents               []geminiContent   `json:"contents"`
	SystemInstruction      *geminiContent    `json:"systemInstruction"`
	SystemInstructionSnake *geminiContent    `json:"system_instruction"`
	Tools                  []json.RawMessage `json:"tools"`
	GenerationConfig       *generationConfig `json:"generationConfig"`
	GenerationConfigSnake  *generationConfig `json:"generation_config"`
	ServiceTier            string            `json:"serviceTier"`
	ServiceTierSnake       string            `json:"service_tier"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts,omitempty"`
}

type geminiPart struct {
	Text            string      `json:"text,omitempty"`
	InlineData      *geminiBlob `json:"inlineData,omitempty"`
	InlineDataSnake *geminiBlob `json:"inline_data,omitempty"`
}

type generationConfig struct {
	ResponseModalities      []string        `json:"responseModalities"`
	ResponseModalitiesSnake []string        `json:"response_modalities"`
	MaxOutputTokens         *int            `json:"maxOutputTokens"`
	MaxOutputTokensSnake    *int            `json:"max_output_tokens"`
	ThinkingConfig          *thinkingConfig `json:"thinkingConfig"`
	ThinkingConfigSnake     *thinkingConfig `json:"thinking_config"`
}

type thinkingConfig struct {
	ThinkingBudget      *int `json:"thinkingBudget"`
	ThinkingBudgetSnake *int `json:"thinking_budget"`
}

func either[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// builtinTools are the Gemini tools whose results are fed back as tool-use prompt tokens.
var builtinTools = []string{"googleSearch", "google_search", "googleSearchRetrieval", "google_search_retrieval",
	"codeExecution", "code_execution", "urlContext", "url_context"}

// geminiCall is one parsed generateContent request.
type geminiCall struct {
	model     string
	prompt    *prefixes
	maxTokens int
	budget    *int // thinking budget; nil means dynamic
	toolUse   int
	capacity  bool // the prompt asks for a capacity 429
	tier      servedTier
	search    bool // the Google Search tool is on: the answer is grounded
	// media counts the prompt's inline media tokens by modality; text holds the
	// prompt's text, which a text-to-speech model (speech) speaks.
	media  map[string]int
	text   string
	speech bool
}

func readGeminiRequest(w http.ResponseWriter, r *http.Request, model string) (*geminiCall, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	var req geminiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("Invalid JSON payload received. %v", err)
	}
	if len(req.Contents) == 0 {
		return nil, errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	c := &geminiCall{model: model, prompt: newPrefixes(model)}
	if si := either(req.SystemInstruction, req.SystemInstructionSnake); si != nil {
		for _, p := range si.Parts {
			c.prompt.add("system", p.Text, CountTokens(p.Text))
		}
	}
	for i, content := range req.Contents {
		if len(content.Parts) == 0 {
			return nil, fmt.Errorf("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.", i)
		}
		for _, p := range content.Parts {
			if blob := either(p.InlineData, p.InlineDataSnake); blob != nil {
				tokens, modality := mediaTokens(blob)
				if c.media == nil {
					c.media = make(map[string]int)
				}
				c.media[modality] += tokens
				c.prompt.add(content.Role, blob.MimeType+"\x00"+blob.Data, tokens)
				continue
			}
			c.prompt.add(content.Role, p.Text, CountTokens(p.Text))
			c.text += p.Text
			c.capacity = c.capacity || strings.Contains(p.Text, CapacityExhaustedTrigger)
		}
	}
	if gc := either(req.GenerationConfig, req.GenerationConfigSnake); gc != nil {
		c.speech = isSpeechModel(model) && speaks(gc)
		if m := either(gc.MaxOutputTokens, gc.MaxOutputTokensSnake); m != nil {
			if *m < 1 {
				return nil, fmt.Errorf("* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive, got %d.", *m)
			}
			c.maxTokens = *m
		}
		if tc := either(gc.ThinkingConfig, gc.ThinkingConfigSnake); tc != nil {
			c.budget = either(tc.ThinkingBudget, tc.ThinkingBudgetSnake)
			if c.budget != nil && *c.budget < -1 {
				return nil, fmt.Errorf("* GenerateContentRequest.generation_config.thinking_config.thinking_budget: must be -1, 0 or positive, got %d.", *c.budget)
			}
		}
	}
	for i, t := range req.Tools {
		var tool map[string]json.RawMessage
		if err := json.Unmarshal(t, &tool); err != nil {
			return nil, fmt.Errorf("* GenerateContentRequest.tools[%d]: must be an object.", i)
		}
		for _, name := range builtinTools {
			if _, ok := tool[name]; ok {
				c.toolUse += ToolUsePromptTokens
			}
		}
		c.search = c.search || searchTool(tool)
	}
	c.tier = geminiServedTier(r, req.ServiceTier+req.ServiceTierSnake, lastText(req.Contents))
	return c, nil
}

// geminiThinks reports whether model thinks by default.
func geminiThinks(model string) bool {
	return (strings.HasPrefix(model, "gemini-2.5") || strings.HasPrefix(model, "gemini-3")) && !isSpeechModel(model)
}

// thoughts returns the thinking tokens for a reply of reply tokens under budget.
func geminiThoughts(model string, reply int, budget *int) int {
	if !geminiThinks(model) {
		return 0
	}
	t := 2 * reply
	if budget != nil && *budget >= 0 {
		t = min(t, *budget)
	}
	return t
}

// geminiAdmission is the outcome of counting one Gemini request against the quota.
type geminiAdmission struct {
	plan       plan
	violations []geminiViolation
	id         string
	now        time.Time
}

// admitGemini plans the answer, counts it against model's quota and, when admitted,
// remembers the prompt for caching.
func (e *Emulator) admitGemini(model string, prompt *prefixes, maxTokens int, budget *int) geminiAdmission {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	q := e.geminiQuota[model]
	if q == nil {
		q = &geminiQuota{limits: e.cfg.geminiLimits(model)}
		e.geminiQuota[model] = q
	}
	p := newPlan(prompt.total(), e.geminiCache.peek(prompt), geminiThoughts(model, ReplyTokens(prompt.total()), budget), maxTokens)
	a := geminiAdmission{plan: p, now: now, id: geminiResponseID(e.ids.next())}
	a.violations = q.admit(now, p.prompt)
	if a.violations == nil {
		e.geminiCache.store(prompt)
	}
	return a
}

// writeCapacityExhausted writes the 429 Gemini sends when it is short of capacity.
func writeCapacityExhausted(w http.ResponseWriter, form geminiErrorForm) {
	writeGeminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", nil, form)
}

// writeQuotaExceeded writes Gemini's 429 for the violated limits.
func writeQuotaExceeded(w http.ResponseWriter, model string, vs []geminiViolation, form geminiErrorForm) {
	var msg strings.Builder
	msg.WriteString("You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. \n")
	type violation struct {
		QuotaMetric     string            `json:"quotaMetric"`
		QuotaID         string            `json:"quotaId"`
		QuotaDimensions map[string]string `json:"quotaDimensions"`
		QuotaValue      string            `json:"quotaValue"`
	}
	violations := make([]violation, 0, len(vs))
	var wait time.Duration
	for _, v := range vs {
		fmt.Fprintf(&msg, "* Quota exceeded for metric: %s, limit: %d, model: %s\n", v.metric, v.limit, model)
		violations = append(violations, violation{v.metric, v.quotaID, map[string]string{"location": "global", "model": model}, strconv.Itoa(v.limit)})
		wait = max(wait, v.wait)
	}
	fmt.Fprintf(&msg, "Please retry in %s.", wait)
	writeGeminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", msg.String(), []map[string]any{
		{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": violations},
		{"@type": "type.googleapis.com/google.rpc.Help", "links": []map[string]string{{
			"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}},
		{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": strconv.FormatInt(int64(wait/time.Second), 10) + "s"},
	}, form)
}

// geminiResponse is a generateContent answer or one stream chunk of it.
type geminiResponse struct {
	Candidates    []geminiCandidate `json:"candidates"`
	UsageMetadata *usageMetadata    `json:"usageMetadata,omitempty"`
	ModelVersion  string            `json:"modelVersion"`
	ResponseID    string            `json:"responseId"`
}

type geminiCandidate struct {
	Content           geminiContent      `json:"content"`
	FinishReason      string             `json:"finishReason,omitempty"`
	Index             *int               `json:"index,omitempty"`
	GroundingMetadata *groundingMetadata `json:"groundingMetadata,omitempty"`
}

type usageMetadata struct {
	PromptTokenCount           int             `json:"promptTokenCount,omitempty"`
	CandidatesTokenCount       int             `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount            int             `json:"totalTokenCount,omitempty"`
	CachedContentTokenCount    int             `json:"cachedContentTokenCount,omitempty"`
	PromptTokensDetails        []modalityCount `json:"promptTokensDetails,omitempty"`
	CacheTokensDetails         []modalityCount `json:"cacheTokensDetails,omitempty"`
	CandidatesTokensDetails    []modalityCount `json:"candidatesTokensDetails,omitempty"`
	ToolUsePromptTokenCount    int             `json:"toolUsePromptTokenCount,omitempty"`
	ToolUsePromptTokensDetails []modalityCount `json:"toolUsePromptTokensDetails,omitempty"`
	ThoughtsTokenCount         int             `json:"thoughtsTokenCount,omitempty"`
	TrafficType                string          `json:"trafficType,omitempty"` // Vertex AI
	ServiceTier                string          `json:"serviceTier,omitempty"` // Gemini API
}

// modalityCount is one entry of a per-modality token list. A zero count is left out,
// as Gemini's JSON leaves out zero values: {"modality": "AUDIO"}.
type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount,omitempty"`
}

func textCount(n int) []modalityCount {
	if n == 0 {
		return nil
	}
	return []modalityCount{{"TEXT", n}}
}

// finalUsage is the complete usage of an answer.
func (c *geminiCall) finalUsage(p plan) *usageMetadata {
	u := &usageMetadata{
		PromptTokenCount:           p.prompt,
		CandidatesTokenCount:       p.reply,
		TotalTokenCount:            p.prompt + p.reply + p.reasoning + c.toolUse,
		CachedContentTokenCount:    p.cached,
		PromptTokensDetails:        c.promptDetails(p.prompt),
		CacheTokensDetails:         c.cacheDetails(p.cached),
		ToolUsePromptTokenCount:    c.toolUse,
		ToolUsePromptTokensDetails: textCount(c.toolUse),
		ThoughtsTokenCount:         p.reasoning,
	}
	if !geminiThinks(c.model) {
		u.CandidatesTokensDetails = textCount(p.reply)
	}
	c.tier.usage(u)
	return u
}

// earlyUsage is the usage an unfinished stream chunk reports: no candidates yet and a
// prompt count that the last chunk will correct.
func (c *geminiCall) earlyUsage(p plan) *usageMetadata {
	prompt := p.prompt + geminiPromptDrift
	return &usageMetadata{
		PromptTokenCount:           prompt,
		TotalTokenCount:            prompt + p.reasoning + c.toolUse,
		PromptTokensDetails:        c.promptDetails(prompt),
		ToolUsePromptTokenCount:    c.toolUse,
		ToolUsePromptTokensDetails: textCount(c.toolUse),
		ThoughtsTokenCount:         p.reasoning,
	}
}

func geminiFinish(p plan) string {
	if p.capped {
		return "MAX_TOKENS"
	}
	return "STOP"
}

// replyChunks cuts the reply into stream chunks; an empty reply is one empty chunk.
func replyChunks(n int) []string {
	ps := pieces(replyText, n)
	var out []string
	for i := 0; i < len(ps); i += geminiChunkTokens {
		out = append(out, strings.Join(ps[i:min(i+geminiChunkTokens, len(ps))], ""))
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func modelContent(text string) geminiContent {
	c := geminiContent{Role: "model"}
	if text != "" {
		c.Parts = []geminiPart{{Text: text}}
	}
	return c
}

// geminiModelCall serves POST /{version}/models/{model}:{method}.
func (e *Emulator) geminiModelCall(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if (version != "v1beta" && version != "v1") || !ok || model == "" {
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
		return
	}
	form, sse := errorPlain, false
	switch method {
	case "generateContent", "countTokens":
	case "streamGenerateContent":
		form, sse = errorInArray, r.URL.Query().Get("alt") == "sse"
		if sse {
			form = errorUnderSSE
		}
	default:
		if !e.geminiSurfaceCall(w, r, model, method) {
			writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Method %q is not supported for models/%s.", method, model), nil, errorPlain)
		}
		return
	}
	if !e.geminiAuthorized(w, geminiKey(r), form) {
		return
	}
	e.modelCall(w, r, model, method, form, sse)
}

// modelCall answers an authorised generateContent, streamGenerateContent or countTokens
// call, on the Gemini API or on Vertex AI (the tier a request asks for, and the way the
// answer names the tier served, come from its platform).
func (e *Emulator) modelCall(w http.ResponseWriter, r *http.Request, model, method string, form geminiErrorForm, sse bool) {
	call, err := readGeminiRequest(w, r, model)
	if err != nil {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil, form)
		return
	}
	if method == "countTokens" {
		setGoogleHeaders(w.Header())
		writeAnswer(w, r, "application/json; charset=UTF-8",
			encodeIndented(map[string]any{"totalTokens": call.prompt.total(), "promptTokensDetails": textCount(call.prompt.total())}))
		return
	}
	if call.capacity {
		writeCapacityExhausted(w, form)
		return
	}
	a := e.admitGemini(model, call.prompt, call.maxTokens, call.budget)
	if a.violations != nil {
		writeQuotaExceeded(w, model, a.violations, form)
		return
	}
	setGoogleHeaders(w.Header())
	// Server-Timing's dur is the generation time in ms: one per output token.
	w.Header().Set("Server-Timing", "gfet4t7; dur="+strconv.Itoa(a.plan.reply+a.plan.reasoning))
	if method == "streamGenerateContent" {
		e.geminiStream(w, r, call, a, sse)
		return
	}
	call.tier.header(w.Header())
	if call.speech {
		e.writeSpeech(w, r, call, a)
		return
	}
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(geminiResponse{
		Candidates:    []geminiCandidate{{Content: modelContent(strings.Join(pieces(replyText, a.plan.reply), "")), FinishReason: geminiFinish(a.plan), Index: ptr(0), GroundingMetadata: call.grounding()}},
		UsageMetadata: call.finalUsage(a.plan),
		ModelVersion:  model,
		ResponseID:    a.id,
	}))
}

// geminiStream writes the answer chunk by chunk, as SSE events or as the elements of one
// JSON array. Usage is cumulative: early chunks carry the prompt (a little over the final
// count) and thoughts, the second of three or more carries usageMetadata without counts,
// the last carries the final counts.
func (e *Emulator) geminiStream(w http.ResponseWriter, r *http.Request, call *geminiCall, a geminiAdmission, sse bool) {
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Disposition", "attachment")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	cw := newChunkWriter(r.Context(), w, e.cfg.ChunkDelay)
	chunks := replyChunks(a.plan.reply)
	for i, text := range chunks {
		resp := geminiResponse{Candidates: []geminiCandidate{{Content: modelContent(text)}}, ModelVersion: call.model, ResponseID: a.id}
		switch last := i == len(chunks)-1; {
		case last:
			resp.Candidates[0].FinishReason = geminiFinish(a.plan)
			resp.Candidates[0].GroundingMetadata = call.grounding() // a stream grounds in its last event only
			resp.UsageMetadata = call.finalUsage(a.plan)
		case i == 1:
			resp.UsageMetadata = &usageMetadata{}
		default:
			resp.UsageMetadata = call.earlyUsage(a.plan)
		}
		if sse {
			cw.write(sseData, encode(resp), crlf2)
			continue
		}
		sep, end := arrayComma, []byte(nil)
		if i == 0 {
			sep = arrayOpen
		}
		if i == len(chunks)-1 {
			end = arrayClose
		}
		cw.write(sep, encodeIndented(resp), end)
	}
}

// geminiChatResponse is the OpenAI-compatible endpoint's answer or stream chunk; Google
// writes its fields in alphabetical order.
type geminiChatResponse struct {
	Choices []geminiChatChoice `json:"choices"`
	Created int64              `json:"created"`
	ID      string             `json:"id"`
	Model   string             `json:"model"`
	Object  string             `json:"object"`
	Usage   *chatUsage         `json:"usage,omitempty"`
}

type geminiChatChoice struct {
	Delta        *chatOut `json:"delta,omitempty"`
	FinishReason string   `json:"finish_reason,omitempty"`
	Index        int      `json:"index"`
	Message      *chatOut `json:"message,omitempty"`
}

// geminiOpenAIChat serves POST /v1beta/openai/chat/completions. Usage follows OpenAI's
// convention: completion_tokens includes the thoughts, reported again as reasoning_tokens.
func (e *Emulator) geminiOpenAIChat(w http.ResponseWriter, r *http.Request) {
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !e.geminiAuthorized(w, key, errorInArray) {
		return
	}
	req, prompt, lastUser, err := readChatRequest(w, r)
	if err != nil {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil, errorInArray)
		return
	}
	if strings.Contains(lastUser, CapacityExhaustedTrigger) {
		writeCapacityExhausted(w, errorInArray)
		return
	}
	model := strings.TrimPrefix(req.Model, "models/")
	a := e.admitGemini(model, prompt, req.maxTokens(), nil)
	if a.violations != nil {
		writeQuotaExceeded(w, model, a.violations, errorInArray)
		return
	}
	setGoogleHeaders(w.Header())
	finish := finishReason(a.plan)
	resp := geminiChatResponse{Created: a.now.Unix(), ID: a.id, Model: model, Object: "chat.completion"}
	if !req.Stream {
		resp.Choices = []geminiChatChoice{{FinishReason: finish, Message: &chatOut{Role: "assistant", Content: ptr(strings.Join(pieces(replyText, a.plan.reply), ""))}}}
		resp.Usage = a.plan.usage()
		writeAnswer(w, r, "application/json", encode(resp))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	cw := newChunkWriter(r.Context(), w, e.cfg.ChunkDelay)
	resp.Object = "chat.completion.chunk"
	chunks := replyChunks(a.plan.reply)
	for i, text := range chunks {
		resp.Choices = []geminiChatChoice{{Delta: &chatOut{Role: "assistant", Content: ptr(text)}}}
		if i == len(chunks)-1 {
			resp.Choices[0].FinishReason = finish
			if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
				resp.Usage = a.plan.usage()
			}
		}
		cw.write(sseData, encode(resp), lf2)
	}
	cw.write(sseDone)
}
