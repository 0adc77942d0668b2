package response

import (
	"bytes"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// GeminiTier maps a Gemini service tier, as the API writes it in serviceTier (request
// and usageMetadata) and in the x-gemini-service-tier header ("standard", "FLEX"), to a
// semconv.ServiceTier* value; "" when it names none ("unspecified", unknown values).
func GeminiTier(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "standard":
		return semconv.ServiceTierStandard
	case "flex":
		return semconv.ServiceTierFlex
	case "priority":
		return semconv.ServiceTierPriority
	case "batch":
		return semconv.ServiceTierBatch
	}
	return ""
}

// VertexTrafficTier maps Vertex AI's usageMetadata.trafficType to a semconv.ServiceTier*
// value: ON_DEMAND is standard, ON_DEMAND_FLEX flex, ON_DEMAND_PRIORITY priority,
// PROVISIONED_THROUGHPUT provisioned. Others (ON_DEMAND_OFFPEAK, unspecified) name no
// tier the price table has and map to "".
func VertexTrafficTier(s string) string {
	switch s {
	case "ON_DEMAND":
		return semconv.ServiceTierStandard
	case "ON_DEMAND_FLEX":
		return semconv.ServiceTierFlex
	case "ON_DEMAND_PRIORITY":
		return semconv.ServiceTierPriority
	case "PROVISIONED_THROUGHPUT":
		return semconv.ServiceTierProvisioned
	}
	return ""
}

// GroqTier maps Groq's service_tier (request and response) to a semconv.ServiceTier*
// value: on_demand is standard, flex is flex. "auto" lets Groq choose and names no tier;
// the response says which one served.
func GroqTier(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on_demand", "standard":
		return semconv.ServiceTierStandard
	case "flex":
		return semconv.ServiceTierFlex
	case "batch":
		return semconv.ServiceTierBatch
	}
	return ""
}

var (
	keyServiceTier = []byte(`"serviceTier"`)
	keyTrafficType = []byte(`"trafficType"`)
)

// usageTier reads the served tier from a Gemini usageMetadata object v: serviceTier
// (Gemini API) or trafficType (Vertex AI). A stream's later chunks say it again; the
// last one named wins.
func (p *Parser) usageTier(v []byte) error {
	if !bytes.Contains(v, keyServiceTier) && !bytes.Contains(v, keyTrafficType) {
		return nil // the common case, decided without a walk
	}
	var bad error
	err := jsonscan.Fields(v, func(k, val []byte) {
		var tier string
		switch string(k) {
		case "serviceTier":
			s, err := jsonscan.String(val)
			tier, bad = GeminiTier(s), firstErr(bad, err)
		case "trafficType":
			s, err := jsonscan.String(val)
			tier, bad = VertexTrafficTier(s), firstErr(bad, err)
		}
		if tier != "" {
			p.res.ServiceTier = tier
		}
	})
	return firstErr(err, bad)
}

// openAITier reads Groq's top-level service_tier, which stream chunks repeat.
func (p *Parser) openAITier(v []byte) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	p.surface.tierSeen = true
	s, err := jsonscan.String(v)
	if tier := GroqTier(s); tier != "" {
		p.res.ServiceTier = tier
	}
	return err
}

// firstErr returns a if it is not nil, else b.
func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
