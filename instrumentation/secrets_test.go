package instrumentation

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestNoSecretRecorded sends credentials every way the providers accept them
// and checks that none reaches any span attribute, status, event or metric
// point, with and without content recording.
func TestNoSecretRecorded(t *testing.T) {
	const secret = "SECRET-k3y-0123456789"
	srv := providerServer(t, map[string]reply{
		"/openai/v1/chat/completions":                           {file: "groq_429.json", status: 429, header: groqHeaders},
		"/v1beta/models/gemini-2.5-flash:generateContent":       {file: "gemini_429.json", status: 429},
		"/v1beta/models/gemini-2.0-flash:streamGenerateContent": {file: "gemini_stream.sse", header: map[string]string{"Content-Type": "text/event-stream"}},
		"/v1beta/openai/chat/completions":                       {file: "groq_chat.json"},
	})
	requests := []struct {
		provider Provider
		path     string
		header   string
		value    string
	}{
		{Groq, "/openai/v1/chat/completions", "Authorization", "Bearer " + secret},
		{Gemini, "/v1beta/models/gemini-2.5-flash:generateContent?key=" + secret, "x-goog-api-key", secret},
		{Gemini, "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=" + secret, "x-goog-api-key", secret},
		{Gemini, "/v1beta/openai/chat/completions?key=" + secret, "Authorization", "Bearer " + secret},
	}
	for _, content := range []bool{false, true} {
		for _, r := range requests {
			opts := []Option{WithHost(hostOf(t, srv.URL), r.provider), WithUserIDOnMetrics()}
			if content {
				opts = append(opts, WithContent())
			}
			h := newHarness(t, opts...)
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+r.path,
				strings.NewReader(`{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`))
			req.Header.Set(r.header, r.value)
			resp, err := (&http.Client{Transport: h.inst.Transport(nil)}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()

			s := h.span(t)
			var seen []string
			seen = append(seen, s.Name, s.Status.Description)
			for _, kv := range s.Attributes {
				seen = append(seen, kv.Value.Emit())
			}
			for _, e := range s.Events {
				seen = append(seen, e.Name)
				for _, kv := range e.Attributes {
					seen = append(seen, kv.Value.Emit())
				}
			}
			for _, m := range h.metrics(t) {
				seen = append(seen, metricAttrValues(m)...)
			}
			for _, v := range seen {
				if strings.Contains(v, secret) {
					t.Errorf("content=%v %s: secret recorded in %q", content, r.path, v)
				}
			}
			if len(s.Attributes) < 5 {
				t.Errorf("content=%v %s: only %d attributes recorded", content, r.path, len(s.Attributes))
			}
		}
	}
}

// metricAttrValues lists every attribute value of every point of m.
func metricAttrValues(m metricdata.Metrics) []string {
	var sets []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Sum[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	}
	var out []string
	for _, s := range sets {
		for _, kv := range s.ToSlice() {
			out = append(out, kv.Value.Emit())
		}
	}
	return out
}
