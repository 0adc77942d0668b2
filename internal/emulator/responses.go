package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// responsesRequest is the part of a Responses API request the emulator reads.
type responsesRequest struct {
	Model           string          `json:"model"`
	Input           json.RawMessage `json:"input"`
	Instructions    string          `json:"instructions"`
	Stream          bool            `json:"stream"`
	MaxOutputTokens *int            `json:"max_output_tokens"`
	ServiceTier     string          `json:"service_tier"`
}

// inputTexts returns the role and text of each input message: a string input is one
// user message; an array holds messages whose content is a string or input_text parts.
func (r *responsesRequest) inputTexts() ([][2]string, error) {
	in := bytes.TrimSpace(r.Input)
	if len(in) == 0 {
		return nil, fmt.Errorf("'input' : property is missing")
	}
	if in[0] == '"' {
		var s string
		err := json.Unmarshal(in, &s)
		return [][2]string{{"user", s}}, err
	}
	var items []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(in, &items); err != nil {
		return nil, fmt.Errorf("'input' : must be a string or an array of input items")
	}
	out := make([][2]string, 0, len(items))
	for i, it := range items {
		text, err := chatMessage{Content: it.Content}.text()
		if err != nil {
			return nil, fmt.Errorf("'input.%d.content' : %v", i, err)
		}
		out = append(out, [2]string{it.Role, text})
	}
	return out, nil
}

// responseObject is a Responses API response.
type responseObject struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	CreatedAt         int64           `json:"created_at"`
	Status            string          `json:"status"`
	Error             any             `json:"error"`
	IncompleteDetails any             `json:"incomplete_details"`
	Instructions      *string         `json:"instructions"`
	MaxOutputTokens   *int            `json:"max_output_tokens"`
	Model             string          `json:"model"`
	Output            []responseItem  `json:"output"`
	ParallelToolCalls bool            `json:"parallel_tool_calls"`
	ServiceTier       string          `json:"service_tier"`
	Store             bool            `json:"store"`
	Text              json.RawMessage `json:"text"`
	ToolChoice        string          `json:"tool_choice"`
	Tools             []any           `json:"tools"`
	Usage             *responsesUsage `json:"usage"`
	Metadata          map[string]any  `json:"metadata"`
}

type responseItem struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Status  string       `json:"status"`
	Role    string       `json:"role"`
	Content []outputPart `json:"content"`
}

type outputPart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

// responsesUsage is the Responses API's usage, under its own names.
type responsesUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

// groqResponses serves POST /openai/v1/responses: the same deterministic answer, quota and
// prompt cache as chat completions, as a Response object or as its stream of events
// ending with response.completed, whose response carries the usage.
func (e *Emulator) groqResponses(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	var req responsesRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err == nil && req.Model == "" {
		err = fmt.Errorf("property 'model' is missing")
	}
	var texts [][2]string
	if err == nil {
		texts, err = req.inputTexts()
	}
	if err == nil && req.MaxOutputTokens != nil && *req.MaxOutputTokens < 1 {
		err = fmt.Errorf("'max_output_tokens' : must be at least 1, got %d", *req.MaxOutputTokens)
	}
	if err != nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: err.Error(), Type: "invalid_request_error"})
		return
	}
	prompt := newPrefixes(req.Model)
	if req.Instructions != "" {
		prompt.add("system", req.Instructions, CountTokens(req.Instructions))
	}
	for _, t := range texts {
		prompt.add(t[0], t[1], CountTokens(t[1]))
	}
	reasoning, maxTokens := 0, 0
	if strings.HasPrefix(req.Model, "openai/gpt-oss-") {
		reasoning = ReplyTokens(prompt.total())
	}
	if req.MaxOutputTokens != nil {
		maxTokens = *req.MaxOutputTokens
	}

	e.mu.Lock()
	now := e.now()
	q := e.groqQuotaFor(req.Model)
	p := newPlan(prompt.total(), e.groqCache.peek(prompt), reasoning, maxTokens)
	rejected := q.admit(now, int64(p.prompt+p.reasoning+p.reply))
	if rejected == nil {
		e.groqCache.store(prompt)
	}
	h := e.ids.next()
	state := q.snapshot(now)
	e.mu.Unlock()
	e.setGroqHeaders(w.Header(), state, groqRequestID(h))
	if rejected != nil {
		writeGroqRejection(w, req.Model, rejected)
		return
	}

	id := "resp_" + groqRequestID(h)[4:]
	resp := responseObject{
		ID: id, Object: "response", CreatedAt: now.Unix(), Status: "completed", Model: req.Model,
		MaxOutputTokens: req.MaxOutputTokens, ParallelToolCalls: true, ServiceTier: groqServedTier(req.ServiceTier),
		Text: json.RawMessage(`{"format":{"type":"text"}}`), ToolChoice: "auto", Tools: []any{}, Metadata: map[string]any{},
	}
	if req.Instructions != "" {
		resp.Instructions = &req.Instructions
	}
	if p.capped {
		resp.Status, resp.IncompleteDetails = "incomplete", map[string]string{"reason": "max_output_tokens"}
	}
	u := &responsesUsage{InputTokens: p.prompt, OutputTokens: p.reasoning + p.reply, TotalTokens: p.prompt + p.reasoning + p.reply}
	u.InputTokensDetails.CachedTokens = p.cached
	u.OutputTokensDetails.ReasoningTokens = p.reasoning
	text := strings.Join(pieces(replyText, p.reply), "")
	msg := responseItem{Type: "message", ID: "msg_" + groqRequestID(h)[5:], Status: "completed", Role: "assistant",
		Content: []outputPart{{Type: "output_text", Text: text, Annotations: []any{}}}}
	if !req.Stream {
		resp.Output, resp.Usage = []responseItem{msg}, u
		w.Header().Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")
		writeAnswer(w, r, "application/json", encode(resp))
		return
	}
	e.responsesStream(w, r, resp, msg, u, p)
}

// responsesStream writes a Response as its stream of events: created, in_progress, the
// message item and its text deltas, then response.completed (or response.incomplete)
// with the usage. Each event has an event: line and a sequence number.
func (e *Emulator) responsesStream(w http.ResponseWriter, r *http.Request, final responseObject, msg responseItem, u *responsesUsage, p plan) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	cw := newChunkWriter(r.Context(), w, e.cfg.ChunkDelay)
	seq := 0
	send := func(typ string, fields map[string]any) {
		fields["type"], fields["sequence_number"] = typ, seq
		seq++
		cw.write([]byte("event: "+typ+"\ndata: "), encode(fields), lf2)
	}
	pending := final
	pending.Status, pending.IncompleteDetails, pending.Output = "in_progress", nil, []responseItem{}
	send("response.created", map[string]any{"response": pending})
	send("response.in_progress", map[string]any{"response": pending})
	item := msg
	item.Status, item.Content = "in_progress", []outputPart{}
	send("response.output_item.added", map[string]any{"output_index": 0, "item": item})
	send("response.content_part.added", map[string]any{"item_id": msg.ID, "output_index": 0, "content_index": 0,
		"part": outputPart{Type: "output_text", Annotations: []any{}}})
	for _, piece := range replyChunks(p.reply) {
		send("response.output_text.delta", map[string]any{"item_id": msg.ID, "output_index": 0, "content_index": 0, "delta": piece})
	}
	send("response.output_text.done", map[string]any{"item_id": msg.ID, "output_index": 0, "content_index": 0, "text": msg.Content[0].Text})
	send("response.content_part.done", map[string]any{"item_id": msg.ID, "output_index": 0, "content_index": 0, "part": msg.Content[0]})
	send("response.output_item.done", map[string]any{"output_index": 0, "item": msg})
	final.Output, final.Usage = []responseItem{msg}, u
	event := "response.completed"
	if final.Status == "incomplete" {
		event = "response.incomplete"
	}
	send(event, map[string]any{"response": final})
}

// groqServedTier is the service_tier Groq answers with for the tier a request asks for:
// flex when asked, on_demand otherwise ("auto" included: the emulator has room).
func groqServedTier(asked string) string {
	if strings.EqualFold(asked, "flex") {
		return "flex"
	}
	return "on_demand"
}
