package instrumentation

import (
	"encoding/json"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
)

// message is one element of gen_ai.input.messages (GenAI semconv v1.41).
type message struct {
	Role  string        `json:"role"`
	Parts []messagePart `json:"parts"`
}

// messagePart is a part of a message. Only text parts carry their content:
// images, files and tool payloads are listed by type, never copied.
type messagePart struct {
	Type    string `json:"type"`
	Content string `json:"content,omitempty"`
}

// inputMessages renders the prompt of a request body as the JSON of
// gen_ai.input.messages and gen_ai.system_instructions. A body it cannot
// read yields empty strings: content is best effort and never an error.
func inputMessages(d response.Dialect, body []byte) (messages, system string) {
	var out []message
	var sys []messagePart
	switch d {
	case response.OpenAIChat:
		var req struct {
			Messages []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		if json.Unmarshal(body, &req) != nil {
			return "", ""
		}
		for _, m := range req.Messages {
			out = append(out, message{Role: m.Role, Parts: openAIParts(m.Content)})
		}
	case response.GeminiNative:
		var req struct {
			Contents []struct {
				Role  string                       `json:"role"`
				Parts []map[string]json.RawMessage `json:"parts"`
			} `json:"contents"`
			SystemInstruction *struct {
				Parts []map[string]json.RawMessage `json:"parts"`
			} `json:"systemInstruction"`
		}
		if json.Unmarshal(body, &req) != nil {
			return "", ""
		}
		for _, c := range req.Contents {
			role := c.Role
			switch role {
			case "model":
				role = "assistant"
			case "":
				role = "user"
			}
			out = append(out, message{Role: role, Parts: geminiParts(c.Parts)})
		}
		if req.SystemInstruction != nil {
			sys = geminiParts(req.SystemInstruction.Parts)
		}
	case response.Speech: // text-to-speech: the input is what the user said
		var req struct {
			Input string `json:"input"`
		}
		if json.Unmarshal(body, &req) != nil {
			return "", ""
		}
		out = append(out, message{Role: "user", Parts: []messagePart{{Type: "text", Content: req.Input}}})
	}
	return marshal(out), marshal(sys)
}

// openAIParts reads an OpenAI message content: a string or an array of typed parts.
func openAIParts(raw json.RawMessage) []messagePart {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return []messagePart{{Type: "text", Content: text}}
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return []messagePart{}
	}
	out := make([]messagePart, 0, len(parts))
	for _, p := range parts {
		if p.Type == "text" {
			out = append(out, messagePart{Type: "text", Content: p.Text})
		} else {
			out = append(out, messagePart{Type: p.Type})
		}
	}
	return out
}

// geminiPartTypes names Gemini's non-text parts as semconv part types.
var geminiPartTypes = map[string]string{
	"inlineData":       "blob",
	"fileData":         "uri",
	"functionCall":     "tool_call",
	"functionResponse": "tool_call_response",
}

// geminiParts reads Gemini parts: {"text": ...} or one of the data kinds.
func geminiParts(parts []map[string]json.RawMessage) []messagePart {
	out := make([]messagePart, 0, len(parts))
	for _, p := range parts {
		if raw, ok := p["text"]; ok {
			var text string
			_ = json.Unmarshal(raw, &text)
			out = append(out, messagePart{Type: "text", Content: text})
			continue
		}
		typ := "other"
		for k := range p {
			if t, ok := geminiPartTypes[k]; ok {
				typ = t
			}
		}
		out = append(out, messagePart{Type: typ})
	}
	return out
}

func marshal[T any](v []T) string {
	if len(v) == 0 {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
