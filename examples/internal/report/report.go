// Package report prints what the aiusage instrumentation recorded, for the
// example programs: each span's tokens and cost, and the quota state.
package report

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Spans is a trace exporter that prints one block per provider span.
type Spans struct{ W io.Writer }

// ExportSpans prints each span's name and its usage, cost, quota and error attributes.
func (s Spans) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, span := range spans {
		fmt.Fprintf(s.W, "span %q (%s)\n", span.Name(), span.EndTime().Sub(span.StartTime()).Round(1000))
		for _, kv := range span.Attributes() {
			if shown(kv.Key) {
				fmt.Fprintf(s.W, "  %-42s %s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	return nil
}

// Shutdown implements sdktrace.SpanExporter.
func (Spans) Shutdown(context.Context) error { return nil }

// shown lists the attributes worth a line in an example's output.
func shown(k attribute.Key) bool {
	switch k {
	case semconv.GenAIRequestModel, semconv.GenAIResponseModel, semconv.GenAIRequestStream,
		semconv.GenAIUsageInputTokens, semconv.GenAIUsageOutputTokens,
		semconv.GenAIUsageCacheReadInput, semconv.GenAIUsageReasoningOutput,
		semconv.GenAIResponseTimeToFirstChunk, semconv.HTTPResponseStatusCode, semconv.ErrorType,
		semconv.CostUSD, semconv.CostStatus, semconv.UserID, semconv.ProjectID, semconv.ActionType:
		return true
	}
	return strings.HasPrefix(string(k), "aiusage.ratelimit.")
}

// Quota prints the quota state, one line per provider, model and window.
func Quota(w io.Writer, states []quota.State) {
	if len(states) == 0 {
		fmt.Fprintln(w, "quota: nothing known yet")
		return
	}
	fmt.Fprintln(w, "quota:")
	for _, s := range states {
		fmt.Fprintf(w, "  %s %s: %d of %d %s left per %s (%.1f%% used, source %s)\n",
			s.Provider, s.Model, s.Remaining, s.Limit, s.Resource, s.Window, 100*s.Utilization, s.Source)
	}
}
