package instrumentation

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// recordingTransport remembers the request it was given and answers from base.
type recordingTransport struct {
	base memTransport
	got  *http.Request
	err  error
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	if r.err != nil {
		return nil, r.err
	}
	return r.base.RoundTrip(req)
}

// TestPassThrough checks that requests the instrumentation does not record
// reach the base transport as the same *http.Request, and come back unwrapped.
func TestPassThrough(t *testing.T) {
	for _, u := range []string{
		"https://api.openai.com/v1/chat/completions",
		"https://api.groq.com/openai/v1/models",
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens:x",
		"https://generativelanguage.googleapis.com/v1beta/cachedContents/abc",
		// Vertex AI's :predict serves image generation too, billed per image: not recorded.
		"https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/imagen-3.0-generate-002:predict",
		"https://evil-aiplatform.googleapis.com.example.com/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:generateContent",
		"http://127.0.0.1:1/openai/v1/chat/completions", // not mapped WithHost
	} {
		h := newHarness(t)
		var body io.ReadCloser
		base := &recordingTransport{base: memTransport{body: func() io.ReadCloser {
			body = io.NopCloser(strings.NewReader("{}"))
			return body
		}}}
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"model":"m"}`))
		resp, err := h.inst.Transport(base).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if base.got != req || resp.Body != body {
			t.Errorf("%s: request or response body was replaced", u)
		}
		if n := len(h.spans.GetSpans()); n != 0 {
			t.Errorf("%s: %d spans, want none", u, n)
		}
	}
}

// TestTransportError returns the base transport's error as is and records it.
func TestTransportError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
		{errors.New("dial tcp: connection refused"), "_OTHER"},
	}
	for _, tt := range tests {
		h := newHarness(t)
		base := &recordingTransport{err: tt.err}
		resp, err := h.inst.Transport(base).RoundTrip(groqRequest(t, context.Background()))
		if resp != nil || err != tt.err {
			t.Errorf("got %v, %v; want nil, %v", resp, err, tt.err)
		}
		got := attrs(h.span(t))
		wantAttrs(t, got, map[attribute.Key]any{semconv.ErrorType: tt.want, semconv.HTTPResponseStatusCode: nil})
	}
}

// TestNoTraceContextInjected checks the package doc's promise: the provider
// receives the request headers the app set and nothing else, even with a
// propagator installed and the call inside a sampled parent span; the base
// transport still sees the call's span in the request's context.
func TestNoTraceContextInjected(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })

	h := newHarness(t)
	base := &recordingTransport{base: memTransport{header: http.Header{"Content-Type": {"application/json"}},
		body: func() io.ReadCloser { return io.NopCloser(strings.NewReader(`{"usage":{"prompt_tokens":1}}`)) }}}
	ctx, parent := h.tp.Tracer("app").Start(context.Background(), "handler")
	req := groqRequest(t, ctx)
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	sent := req.Header.Clone()

	resp, err := h.inst.Transport(base).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	parent.End()

	if !reflect.DeepEqual(base.got.Header, sent) {
		t.Errorf("provider received headers %v, the app set %v", base.got.Header, sent)
	}
	call := h.spans.GetSpans()[0]
	if got := trace.SpanContextFromContext(base.got.Context()); got.SpanID() != call.SpanContext.SpanID() {
		t.Errorf("base transport's context holds span %s, want the call's %s", got.SpanID(), call.SpanContext.SpanID())
	}
	if call.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("call span's parent %s, want the app's span %s", call.Parent.SpanID(), parent.SpanContext().SpanID())
	}
}

// TestErrorMessageOnlyWithContent records the provider's error text as the
// span status only when the app opted in to content.
func TestErrorMessageOnlyWithContent(t *testing.T) {
	const message = "Rate limit reached for model `llama-3.1-8b-instant`"
	for _, content := range []bool{false, true} {
		var opts []Option
		want := "429"
		if content {
			opts, want = []Option{WithContent()}, message
		}
		h := newHarness(t, opts...)
		base := memTransport{status: 429, header: http.Header{"Content-Type": {"application/json"}}, body: func() io.ReadCloser {
			return io.NopCloser(strings.NewReader(`{"error":{"message":"` + message + `","type":"requests","code":"rate_limit_exceeded"}}`))
		}}
		resp, err := h.inst.Transport(base).RoundTrip(groqRequest(t, context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		s := h.span(t)
		if s.Status.Code != codes.Error || s.Status.Description != want {
			t.Errorf("content=%v: status %v %q, want error %q", content, s.Status.Code, s.Status.Description, want)
		}
		wantAttrs(t, attrs(s), map[attribute.Key]any{semconv.ErrorCode: "rate_limit_exceeded"})
	}
}
