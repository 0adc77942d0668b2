package instrumentation

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// startSeen keeps the attributes a sampler and a span processor see when a span starts.
type startSeen struct {
	mu               sync.Mutex
	sampled, onStart []map[attribute.Key]string
}

func (s *startSeen) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.sampled = append(s.sampled, byKey(p.Attributes))
	s.mu.Unlock()
	return sdktrace.AlwaysSample().ShouldSample(p)
}

func (s *startSeen) Description() string { return "startSeen" }

func (s *startSeen) OnStart(_ context.Context, span sdktrace.ReadWriteSpan) {
	s.mu.Lock()
	s.onStart = append(s.onStart, byKey(span.Attributes()))
	s.mu.Unlock()
}

func (s *startSeen) OnEnd(sdktrace.ReadOnlySpan)      {}
func (s *startSeen) ForceFlush(context.Context) error { return nil }
func (s *startSeen) Shutdown(context.Context) error   { return nil }

func byKey(kvs []attribute.KeyValue) map[attribute.Key]string {
	m := make(map[attribute.Key]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// TestAttributionAtStart gives samplers and span processors the attribution
// when the span starts, for transported and recorded calls alike; empty fields
// are left out.
func TestAttributionAtStart(t *testing.T) {
	seen := &startSeen{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(seen), sdktrace.WithSpanProcessor(seen))
	inst, err := New(WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAttribution(context.Background(), Attribution{UserID: "u-42", ProjectID: "atlas"})

	base := memTransport{header: http.Header{"Content-Type": {"application/json"}},
		body: func() io.ReadCloser { return io.NopCloser(strings.NewReader(`{}`)) }}
	resp, err := inst.Transport(base).RoundTrip(groqRequest(t, WithAttribution(ctx, Attribution{Action: "qa"})))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	inst.Record(ctx, Call{Provider: Gemini, RequestModel: "gemini-2.5-flash"})

	want := []map[attribute.Key]string{
		{semconv.UserID: "u-42", semconv.ProjectID: "atlas", semconv.ActionType: "qa"},
		{semconv.UserID: "u-42", semconv.ProjectID: "atlas"},
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for name, got := range map[string][]map[attribute.Key]string{"sampler": seen.sampled, "span processor": seen.onStart} {
		if len(got) != len(want) {
			t.Fatalf("%s saw %d span starts, want %d", name, len(got), len(want))
		}
		for n, w := range want {
			for _, k := range []attribute.Key{semconv.UserID, semconv.ProjectID, semconv.ActionType} {
				if v, ok := got[n][k]; v != w[k] || ok != (w[k] != "") {
					t.Errorf("%s, call %d: %s = %q (present %v), want %q", name, n, k, v, ok, w[k])
				}
			}
		}
	}
}
