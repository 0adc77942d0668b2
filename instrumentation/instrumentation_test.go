package instrumentation

import (
	"context"
	"regexp"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestScope names the spans' and metrics' instrumentation scope with the
// library's import path, version and semantic-conventions schema.
func TestScope(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(Version()) {
		t.Errorf("Version() = %q, not a semantic version", Version())
	}
	h := newHarness(t)
	h.inst.Record(context.Background(), Call{Provider: Groq, RequestModel: "llama-3.1-8b-instant", Usage: &Usage{InputTokens: 1}})
	if s := h.span(t).InstrumentationScope; s.Name != ScopeName || s.Version != Version() || s.SchemaURL != semconv.SchemaURL {
		t.Errorf("span scope %+v, want %s %s %s", s, ScopeName, Version(), semconv.SchemaURL)
	}
	rm := h.collect(t)
	if len(rm.ScopeMetrics) != 1 {
		t.Fatalf("%d metric scopes, want 1", len(rm.ScopeMetrics))
	}
	if s := rm.ScopeMetrics[0].Scope; s.Name != ScopeName || s.Version != Version() || s.SchemaURL != semconv.SchemaURL {
		t.Errorf("metric scope %+v, want %s %s %s", s, ScopeName, Version(), semconv.SchemaURL)
	}
}
