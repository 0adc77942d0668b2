package demo

import (
	"context"
	"net/url"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestRunSurface runs the provider-surface workload against the emulator: every step
// succeeds, each HTTP request is one span, and each batch result one more.
func TestRunSurface(t *testing.T) {
	emu, err := StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Stop(context.Background()) })
	spans := tracetest.NewInMemoryExporter()
	inst, err := instrumentation.New(
		instrumentation.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))),
		instrumentation.WithHost(hostPort(t, emu.URLs.GroqBaseURL), instrumentation.Groq),
		instrumentation.WithHost(hostPort(t, emu.URLs.GeminiBaseURL), instrumentation.Gemini),
		instrumentation.WithHost(hostPort(t, emu.URLs.VertexBaseURL), instrumentation.VertexAI))
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunSurface(context.Background(), inst, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	providers := map[string]int{}
	for _, s := range spans.GetSpans() {
		for _, kv := range s.Attributes {
			switch kv.Key {
			case semconv.GenAIOperationName:
				ops[kv.Value.AsString()]++
			case semconv.GenAIProviderName:
				providers[kv.Value.AsString()]++
			}
		}
	}
	// The Groq file upload is not recorded; 4 Gemini and 3 Groq batch results are.
	if got, want := int64(len(spans.GetSpans())), run.Attempts()-1+4+3; got != want {
		t.Errorf("%d spans for %d requests, want %d: %v", got, run.Attempts(), want, ops)
	}
	for _, op := range []string{"generate_content", "chat", "embeddings", "count_tokens", "create_cache", "batch"} {
		if ops[op] == 0 {
			t.Errorf("no %s span: %v", op, ops)
		}
	}
	if providers["gcp.vertex_ai"] == 0 {
		t.Errorf("no Vertex AI span: %v", providers)
	}
}

// hostPort is the host:port of a URL.
func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
