package instrumentation

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

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
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens",
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
