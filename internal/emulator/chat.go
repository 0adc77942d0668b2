package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// chatRequest is the part of an OpenAI-style chat completion request the emulator reads.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Tools               json.RawMessage `json:"tools"`
	ServiceTier         string          `json:"service_tier"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns the message's text: a string content, or the text parts of an array.
func (m chatMessage) text() (string, error) {
	c := bytes.TrimSpace(m.Content)
	if len(c) == 0 || bytes.Equal(c, []byte("null")) {
		return "", nil
	}
	if c[0] == '"' {
		var s string
		err := json.Unmarshal(c, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(c, &parts); err != nil {
		return "", errors.New("must be a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// hasTools reports whether the request declares any tools.
func (r *chatRequest) hasTools() bool {
	t := bytes.TrimSpace(r.Tools)
	return len(t) > 0 && !bytes.Equal(t, []byte("null")) && !bytes.Equal(t, []byte("[]"))
}

// maxTokens returns the output cap, 0 for none.
func (r *chatRequest) maxTokens() int {
	if r.MaxCompletionTokens != nil {
		return *r.MaxCompletionTokens
	}
	if r.MaxTokens != nil {
		return *r.MaxTokens
	}
	return 0
}

// readChatRequest decodes and checks a chat request; the error names the bad field. With an
// error, the request is returned too when it named a model.
func readChatRequest(w http.ResponseWriter, r *http.Request) (*chatRequest, *prefixes, string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, nil, "", fmt.Errorf("read request body: %w", err)
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, "", fmt.Errorf("request body is not a valid chat completion request: %w", err)
	}
	// From here on the model is known, and callers may report its quota with the error.
	if req.Model == "" {
		return nil, nil, "", errors.New("property 'model' is missing")
	}
	if len(req.Messages) == 0 {
		return &req, nil, "", errors.New("'messages' : minimum number of items is 1")
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if f.v != nil && *f.v < 1 {
			return &req, nil, "", fmt.Errorf("'%s' : must be at least 1, got %d", f.name, *f.v)
		}
	}
	p := newPrefixes(req.Model)
	var last string
	for i, m := range req.Messages {
		text, err := m.text()
		if err != nil {
			return &req, nil, "", fmt.Errorf("'messages.%d.content' : %v", i, err)
		}
		p.add(m.Role, text, CountTokens(text))
		if m.Role == "user" {
			last = text
		}
	}
	return &req, p, last, nil
}

// chatUsage is the OpenAI-style usage object, with Groq's timing fields.
type chatUsage struct {
	QueueTime               *float64       `json:"queue_time,omitempty"`
	PromptTokens            int            `json:"prompt_tokens"`
	PromptTime              *float64       `json:"prompt_time,omitempty"`
	CompletionTokens        int            `json:"completion_tokens"`
	CompletionTime          *float64       `json:"completion_time,omitempty"`
	TotalTokens             int            `json:"total_tokens"`
	TotalTime               *float64       `json:"total_time,omitempty"`
	PromptTokensDetails     *promptDetails `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *reasonDetails `json:"completion_tokens_details,omitempty"`
}

type promptDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type reasonDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// usage returns p as OpenAI-style usage without timings.
func (p plan) usage() *chatUsage {
	u := &chatUsage{
		PromptTokens:     p.prompt,
		CompletionTokens: p.reasoning + p.reply,
		TotalTokens:      p.prompt + p.reasoning + p.reply,
	}
	if p.cached > 0 {
		u.PromptTokensDetails = &promptDetails{CachedTokens: p.cached}
	}
	if p.reasoning > 0 {
		u.CompletionTokensDetails = &reasonDetails{ReasoningTokens: p.reasoning}
	}
	return u
}

type chatChoice struct {
	Index        int       `json:"index"`
	Message      *chatOut  `json:"message,omitempty"`
	Delta        *chatOut  `json:"delta,omitempty"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason *string   `json:"finish_reason"`
}

type chatOut struct {
	Role      string  `json:"role,omitempty"`
	Content   *string `json:"content,omitempty"`
	Reasoning string  `json:"reasoning,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func finishReason(p plan) string {
	if p.capped {
		return "length"
	}
	return "stop"
}
