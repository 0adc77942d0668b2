package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// PriorityBusyTrigger in a Gemini prompt that asks for the priority tier makes the
// emulator serve it at standard, as Gemini does when priority capacity runs out: the app
// asked for one tier and is billed at another.
const PriorityBusyTrigger = "emulate:priority_busy"

// platformKey marks a request as Vertex AI's in its context: the Gemini handlers serve
// both platforms, which differ in auth, tier names and a few fields.
type platformKey struct{}

// onVertex reports whether r came in through the Vertex AI handler.
func onVertex(r *http.Request) bool {
	v, _ := r.Context().Value(platformKey{}).(bool)
	return v
}

// asVertex returns r marked as a Vertex AI request.
func asVertex(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), platformKey{}, true))
}

// servedTier is the service tier an answer is served at, named as its platform names it.
type servedTier struct {
	vertex bool
	// name is "standard", "flex", "priority" or "provisioned".
	name string
}

// Vertex AI's usageMetadata.trafficType of each tier.
var trafficTypes = map[string]string{
	"standard": "ON_DEMAND", "flex": "ON_DEMAND_FLEX", "priority": "ON_DEMAND_PRIORITY", "provisioned": "PROVISIONED_THROUGHPUT",
}

// geminiServedTier serves the tier a request asks for: on the Gemini API in its body's
// serviceTier, on Vertex AI in its X-Vertex-AI-LLM-* headers. A priority request whose
// prompt holds PriorityBusyTrigger is served at standard.
func geminiServedTier(r *http.Request, asked string, prompt string) servedTier {
	if onVertex(r) {
		t := servedTier{vertex: true, name: "standard"}
		switch strings.ToLower(r.Header.Get("X-Vertex-AI-LLM-Shared-Request-Type")) {
		case "flex":
			t.name = "flex"
		case "priority":
			t.name = "priority"
		default:
			if strings.EqualFold(r.Header.Get("X-Vertex-AI-LLM-Request-Type"), "dedicated") {
				t.name = "provisioned"
			}
		}
		return t
	}
	t := servedTier{name: "standard"}
	switch strings.ToLower(asked) {
	case "flex":
		t.name = "flex"
	case "priority":
		if !strings.Contains(prompt, PriorityBusyTrigger) {
			t.name = "priority"
		}
	}
	return t
}

// usage names the tier in an answer's usageMetadata: trafficType on Vertex AI,
// serviceTier on the Gemini API.
func (t servedTier) usage(u *usageMetadata) {
	if t.vertex {
		u.TrafficType = trafficTypes[t.name]
	} else {
		u.ServiceTier = t.name
	}
}

// header names the tier of a non-streaming Gemini API answer in x-gemini-service-tier.
func (t servedTier) header(h http.Header) {
	if !t.vertex && t.name != "" {
		h.Set("x-gemini-service-tier", strings.ToUpper(t.name))
	}
}

// groundingMetadata is the part of a grounded answer that says what was searched.
type groundingMetadata struct {
	WebSearchQueries []string          `json:"webSearchQueries"`
	GroundingChunks  []json.RawMessage `json:"groundingChunks,omitempty"`
}

// searchTool reports whether a declared tool is Google Search.
func searchTool(tool map[string]json.RawMessage) bool {
	for _, name := range []string{"googleSearch", "google_search", "googleSearchRetrieval", "google_search_retrieval"} {
		if _, ok := tool[name]; ok {
			return true
		}
	}
	return false
}

// grounding is the groundingMetadata of an answer: nil unless the request turned Google
// Search on. The Gemini API runs one query, Vertex AI two, as the same prompt did on each
// in recorded traffic.
func (c *geminiCall) grounding() *groundingMetadata {
	if !c.search {
		return nil
	}
	g := &groundingMetadata{WebSearchQueries: []string{"smart home " + c.model}}
	if c.tier.vertex {
		g.WebSearchQueries = append(g.WebSearchQueries, "smart home devices "+c.model)
	}
	return g
}

// lastText is the text of the last part of contents.
func lastText(contents []geminiContent) string {
	if len(contents) == 0 || len(contents[len(contents)-1].Parts) == 0 {
		return ""
	}
	ps := contents[len(contents)-1].Parts
	return ps[len(ps)-1].Text
}
