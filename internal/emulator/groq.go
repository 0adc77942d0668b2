package emulator

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ToolUseFailedTrigger in the last user message of a request that declares tools makes the
// Groq emulator fail the call with tool_use_failed: a 400 without streaming, an in-band
// "event: error" inside a 200 stream with it.
const ToolUseFailedTrigger = "emulate:tool_use_failed"

// GroqHandler serves the Groq OpenAI-compatible API: POST /openai/v1/chat/completions and
// GET /openai/v1/models.
func (e *Emulator) GroqHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /openai/v1/chat/completions", e.groqChat)
	mux.HandleFunc("GET /openai/v1/models", e.groqModels)
	e.groqSurface(mux)
	e.registerGroqAudio(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeGroqError(w, http.StatusNotFound, groqErrorBody{Message: "Unknown request URL: " + r.Method + " " + r.URL.Path +
			". Please check the URL for typos, or see the docs at https://console.groq.com/docs/", Type: "invalid_request_error", Code: "unknown_url"})
	})
	return mux
}

// groqErrorBody is Groq's error object.
type groqErrorBody struct {
	Message          string `json:"message"`
	Type             string `json:"type"`
	Code             string `json:"code,omitempty"`
	FailedGeneration string `json:"failed_generation,omitempty"`
	StatusCode       int    `json:"status_code,omitempty"` // only in-band, inside a stream
}

func writeGroqError(w http.ResponseWriter, status int, body groqErrorBody) {
	w.Header().Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")
	writeJSON(w, status, "application/json", encode(struct {
		Error groqErrorBody `json:"error"`
	}{body}))
}

// groqAuthorized checks the bearer key and answers 401 as Groq does when it is wrong.
func (e *Emulator) groqAuthorized(w http.ResponseWriter, r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && key != "" && (e.cfg.APIKey == "" || key == e.cfg.APIKey) {
		return true
	}
	writeGroqError(w, http.StatusUnauthorized, groqErrorBody{Message: "Invalid API Key", Type: "invalid_request_error", Code: "invalid_api_key"})
	return false
}

// groqCall is one admitted Groq chat call.
type groqCall struct {
	req         *chatRequest
	model       string // as the response names it
	plan        plan
	usage       *chatUsage
	breakdown   *usageBreakdown // compound models only
	toolFails   bool
	requestID   string
	id          string
	seed        int64
	fingerprint string
	created     int64
}

type usageBreakdown struct {
	Models []modelUsage `json:"models"`
}

type modelUsage struct {
	Model string     `json:"model"`
	Usage *chatUsage `json:"usage"`
}

// Compound sub-models and the tokens their tools add, see the package documentation.
const (
	compoundPlanner        = "openai/gpt-oss-120b"
	compoundAnswerer       = "meta-llama/llama-4-scout-17b-16e-instruct"
	compoundPlannerTokens  = 16
	compoundToolResultToks = 256
)

// groqResponseModel maps a request model to the model Groq names in its answer.
func groqResponseModel(model string) string {
	switch model {
	case "compound-beta":
		return "groq/compound"
	case "compound-beta-mini":
		return "groq/compound-mini"
	}
	return model
}

func (e *Emulator) groqChat(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	req, prompt, lastUser, err := readChatRequest(w, r)
	if err != nil {
		if req != nil && req.Model != "" {
			// The organisation and model are known: report their quota, as Groq does.
			e.mu.Lock()
			state := e.groqQuotaFor(req.Model).snapshot(e.now())
			h := e.ids.next()
			e.mu.Unlock()
			e.setGroqHeaders(w.Header(), state, groqRequestID(h))
		}
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: err.Error(), Type: "invalid_request_error"})
		return
	}
	c := &groqCall{req: req, model: groqResponseModel(req.Model)}
	c.toolFails = req.hasTools() && strings.Contains(lastUser, ToolUseFailedTrigger)
	compound := strings.HasPrefix(c.model, "groq/compound")
	reasoning := 0
	if strings.HasPrefix(req.Model, "openai/gpt-oss-") {
		reasoning = ReplyTokens(prompt.total())
	}

	e.mu.Lock()
	now := e.now()
	q := e.groqQuotaFor(req.Model)
	cached := 0
	if !compound {
		cached = e.groqCache.peek(prompt)
	}
	c.plan = newPlan(prompt.total(), cached, reasoning, req.maxTokens())
	c.usage = c.plan.usage()
	if compound {
		c.usage, c.breakdown = compoundUsage(c.plan)
	}
	rejected := q.admit(now, int64(c.usage.TotalTokens))
	if rejected == nil && !compound {
		e.groqCache.store(prompt)
	}
	h := e.ids.next()
	state := q.snapshot(now)
	e.mu.Unlock()

	c.requestID = groqRequestID(h)
	c.id = completionID(h)
	c.seed = int64(binary.BigEndian.Uint32(h[8:12]))
	c.fingerprint = "fp_" + fmt.Sprintf("%x", h[12:17])
	c.created = now.Unix()
	e.setGroqHeaders(w.Header(), state, c.requestID)

	if rejected != nil {
		writeGroqRejection(w, req.Model, rejected)
		return
	}
	if c.toolFails && !req.Stream {
		writeGroqError(w, http.StatusBadRequest, toolUseFailed())
		return
	}
	groqTimings(c.usage)
	if req.Stream {
		e.groqStream(w, r, c)
		return
	}
	e.groqComplete(w, r, c)
}

// groqQuotaFor returns model's quota, creating it on first use. e.mu must be held.
func (e *Emulator) groqQuotaFor(model string) *groqQuota {
	q := e.groqQuota[model]
	if q == nil {
		q = newGroqQuota(e.cfg.groqLimits(model))
		e.groqQuota[model] = q
	}
	return q
}

// setGroqHeaders sets the headers Groq sends on every answer to an authenticated request.
func (e *Emulator) setGroqHeaders(h http.Header, s groqQuotaState, requestID string) {
	h.Set("Vary", "Origin")
	h.Set("x-groq-region", e.cfg.GroqRegion)
	h.Set("x-ratelimit-limit-requests", strconv.Itoa(s.limits.RequestsPerDay))
	h.Set("x-ratelimit-limit-tokens", strconv.Itoa(s.limits.TokensPerMinute))
	h.Set("x-ratelimit-remaining-requests", strconv.FormatInt(s.remainingRequests, 10))
	h.Set("x-ratelimit-remaining-tokens", strconv.FormatInt(s.remainingTokens, 10))
	h.Set("x-ratelimit-reset-requests", s.resetRequests.String())
	h.Set("x-ratelimit-reset-tokens", s.resetTokens.String())
	h.Set("x-request-id", requestID)
}

func toolUseFailed() groqErrorBody {
	return groqErrorBody{
		Message:          "Tool call validation failed: tool call validation failed: parameters for tool did not match schema",
		Type:             "invalid_request_error",
		Code:             "tool_use_failed",
		FailedGeneration: `{"name": "unknown_tool", "arguments": {}}`,
	}
}

// compoundUsage splits a compound call between its planner and answering sub-models and
// returns their sum with the breakdown.
func compoundUsage(p plan) (*chatUsage, *usageBreakdown) {
	planner := &chatUsage{PromptTokens: p.prompt, CompletionTokens: compoundPlannerTokens, TotalTokens: p.prompt + compoundPlannerTokens}
	answerPrompt := p.prompt + compoundToolResultToks
	answer := &chatUsage{PromptTokens: answerPrompt, CompletionTokens: p.reply, TotalTokens: answerPrompt + p.reply}
	groqTimings(planner)
	groqTimings(answer)
	sum := &chatUsage{
		PromptTokens:     planner.PromptTokens + answer.PromptTokens,
		CompletionTokens: planner.CompletionTokens + answer.CompletionTokens,
		TotalTokens:      planner.TotalTokens + answer.TotalTokens,
	}
	return sum, &usageBreakdown{Models: []modelUsage{{compoundPlanner, planner}, {compoundAnswerer, answer}}}
}

// groqTimings fills Groq's timing fields from fixed speeds: 20k prompt and 1k completion
// tokens per second after 12.5 ms in the queue.
func groqTimings(u *chatUsage) {
	round := func(v float64) *float64 { v = math.Round(v*1e9) / 1e9; return &v }
	prompt := float64(u.PromptTokens) / 20000
	completion := float64(u.CompletionTokens) / 1000
	u.QueueTime = round(0.0125)
	u.PromptTime = round(prompt)
	u.CompletionTime = round(completion)
	u.TotalTime = round(prompt + completion)
}

// writeGroqRejection answers a request the quota refused: 429, or 413 when it can never fit.
func writeGroqRejection(w http.ResponseWriter, model string, rj *groqRejection) {
	wait := rj.wait.Round(time.Millisecond)
	w.Header().Set("retry-after", strconv.FormatInt(int64(math.Ceil(rj.wait.Seconds())), 10))
	if rj.tooLarge {
		writeGroqError(w, http.StatusRequestEntityTooLarge, groqErrorBody{
			Message: fmt.Sprintf("Request too large for model `%s` in organization `org_emulator` service tier `on_demand` on %s: Limit %d, Requested %d, please reduce your message size and try again. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing",
				model, rj.kind.name, rj.kind.limit, rj.requested),
			Type: rj.kind.errType,
			Code: "rate_limit_exceeded",
		})
		return
	}
	writeGroqError(w, http.StatusTooManyRequests, groqErrorBody{
		Message: fmt.Sprintf("Rate limit reached for model `%s` in organization `org_emulator` service tier `on_demand` on %s: Limit %d, Used %d, Requested %d. Please try again in %s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing",
			model, rj.kind.name, rj.kind.limit, rj.used, rj.requested, wait),
		Type: rj.kind.errType,
		Code: "rate_limit_exceeded",
	})
}

// groqCompletion is a non-streaming Groq answer.
type groqCompletion struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	Choices           []chatChoice    `json:"choices"`
	Usage             *chatUsage      `json:"usage"`
	UsageBreakdown    *usageBreakdown `json:"usage_breakdown"`
	SystemFingerprint string          `json:"system_fingerprint"`
	XGroq             xGroq           `json:"x_groq"`
	ServiceTier       string          `json:"service_tier"`
}

type xGroq struct {
	ID             string          `json:"id"`
	Seed           int64           `json:"seed,omitempty"`
	Usage          *chatUsage      `json:"usage,omitempty"`
	UsageBreakdown *usageBreakdown `json:"usage_breakdown,omitempty"`
}

func (e *Emulator) groqComplete(w http.ResponseWriter, r *http.Request, c *groqCall) {
	msg := &chatOut{Role: "assistant", Content: ptr(strings.Join(pieces(replyText, c.plan.reply), ""))}
	if c.plan.reasoning > 0 {
		msg.Reasoning = strings.Join(pieces(reasoningText, c.plan.reasoning), "")
	}
	w.Header().Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")
	writeAnswer(w, r, "application/json", encode(groqCompletion{
		ID:                c.id,
		Object:            "chat.completion",
		Created:           c.created,
		Model:             c.model,
		Choices:           []chatChoice{{Message: msg, FinishReason: ptr(finishReason(c.plan))}},
		Usage:             c.usage,
		UsageBreakdown:    c.breakdown,
		SystemFingerprint: c.fingerprint,
		XGroq:             xGroq{ID: c.requestID, Seed: c.seed},
		ServiceTier:       groqServedTier(c.req.ServiceTier),
	}))
}

// groqChunk is one event of a Groq stream.
type groqChunk struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	XGroq             *xGroq       `json:"x_groq,omitempty"`
	Usage             *chatUsage   `json:"usage,omitempty"`
}

// groqStream writes the answer as Groq's SSE stream: a role chunk, one chunk per reasoning
// and reply token, a final chunk with x_groq.usage (and usage when the request asked for
// include_usage), then [DONE].
func (e *Emulator) groqStream(w http.ResponseWriter, r *http.Request, c *groqCall) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	cw := newChunkWriter(r.Context(), w, e.cfg.ChunkDelay)
	chunk := groqChunk{ID: c.id, Object: "chat.completion.chunk", Created: c.created, Model: c.model, SystemFingerprint: c.fingerprint}
	// One chunk value is reused for every event: a stream is mostly token chunks that
	// differ only in their delta.
	choice := []chatChoice{{}}
	chunk.Choices = choice
	send := func(delta chatOut, finish *string, x *xGroq, usage *chatUsage) {
		choice[0].Delta, choice[0].FinishReason = &delta, finish
		chunk.XGroq, chunk.Usage = x, usage
		cw.write(sseData, encode(&chunk), lf2)
	}
	empty := ""
	send(chatOut{Role: "assistant", Content: &empty}, nil, &xGroq{ID: c.requestID}, nil)
	if c.toolFails {
		body := toolUseFailed()
		body.StatusCode = http.StatusBadRequest
		cw.write(sseErrorData, encode(struct {
			Error groqErrorBody `json:"error"`
		}{body}), lf2)
		return
	}
	for _, p := range pieces(reasoningText, c.plan.reasoning) {
		send(chatOut{Reasoning: p}, nil, nil, nil)
	}
	for _, p := range pieces(replyText, c.plan.reply) {
		send(chatOut{Content: &p}, nil, nil, nil)
	}
	var topUsage *chatUsage
	if c.req.StreamOptions != nil && c.req.StreamOptions.IncludeUsage {
		topUsage = c.usage
	}
	send(chatOut{}, ptr(finishReason(c.plan)), &xGroq{ID: c.requestID, Usage: c.usage, UsageBreakdown: c.breakdown}, topUsage)
	cw.write(sseDone)
}

// groqModelList is what GET /openai/v1/models lists.
var groqModelList = []struct {
	ID      string
	Owner   string
	Context int
}{
	{"llama-3.1-8b-instant", "Meta", 131072},
	{"llama-3.3-70b-versatile", "Meta", 131072},
	{"openai/gpt-oss-20b", "OpenAI", 131072},
	{"openai/gpt-oss-120b", "OpenAI", 131072},
	{"groq/compound", "Groq", 131072},
	{"groq/compound-mini", "Groq", 131072},
}

func (e *Emulator) groqModels(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	type model struct {
		ID                  string    `json:"id"`
		Object              string    `json:"object"`
		Created             int64     `json:"created"`
		OwnedBy             string    `json:"owned_by"`
		Active              bool      `json:"active"`
		ContextWindow       int       `json:"context_window"`
		PublicApps          *struct{} `json:"public_apps"`
		MaxCompletionTokens int       `json:"max_completion_tokens"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, m := range groqModelList {
		list.Data = append(list.Data, model{ID: m.ID, Object: "model", Created: 1693721698, OwnedBy: m.Owner, Active: true, ContextWindow: m.Context, MaxCompletionTokens: m.Context})
	}
	w.Header().Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")
	writeAnswer(w, r, "application/json", encode(list))
}
