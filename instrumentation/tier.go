package instrumentation

import (
	"net/http"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// geminiServiceTierHeader is the response header in which the Gemini API names the tier
// that served a non-streaming call ("standard", "FLEX", "PRIORITY").
const geminiServiceTierHeader = "X-Gemini-Service-Tier"

// Vertex AI request headers that choose how a call is served: Provisioned Throughput
// only ("dedicated") or pay-as-you-go only ("shared"), and which pay-as-you-go tier
// ("flex", "priority").
const (
	vertexRequestTypeHeader       = "X-Vertex-AI-LLM-Request-Type"
	vertexSharedRequestTypeHeader = "X-Vertex-AI-LLM-Shared-Request-Type"
)

// vertexRequestTier is the tier a Vertex AI request asks for in its headers; "" when
// it leaves the choice to Vertex (Provisioned Throughput first, then standard).
func vertexRequestTier(h http.Header) string {
	switch strings.ToLower(h.Get(vertexSharedRequestTypeHeader)) {
	case "flex":
		return semconv.ServiceTierFlex
	case "priority":
		return semconv.ServiceTierPriority
	}
	switch strings.ToLower(h.Get(vertexRequestTypeHeader)) {
	case "dedicated":
		return semconv.ServiceTierProvisioned
	case "shared":
		return semconv.ServiceTierStandard
	}
	return ""
}
