package instrumentationtest

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// harness is an Instrumentation recording into an in-memory span exporter
// and a manual metric reader.
type harness struct {
	inst   *instrumentation.Instrumentation
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
}

func newHarness(t testing.TB, opts ...instrumentation.Option) *harness {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	opts = append([]instrumentation.Option{
		instrumentation.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))),
		instrumentation.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
	}, opts...)
	inst, err := instrumentation.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{inst: inst, spans: spans, reader: reader}
}

// span returns the only span ended so far.
func (h *harness) span(t testing.TB) tracetest.SpanStub {
	t.Helper()
	got := h.spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("ended spans = %d, want 1", len(got))
	}
	return got[0]
}

// attrs returns a span's attributes by key.
func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(s.Attributes))
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// wantAttrs compares the listed attributes of got; a nil want value means absent.
func wantAttrs(t testing.TB, got map[attribute.Key]attribute.Value, want map[attribute.Key]any) {
	t.Helper()
	for k, w := range want {
		v, ok := got[k]
		switch {
		case w == nil && ok:
			t.Errorf("%s = %v, want absent", k, v.Emit())
		case w != nil && !ok:
			t.Errorf("%s absent, want %v", k, w)
		case w != nil && !attrEqual(v, w):
			t.Errorf("%s = %v (%s), want %v", k, v.Emit(), v.Type(), w)
		}
	}
}

func attrEqual(v attribute.Value, w any) bool {
	switch w := w.(type) {
	case string:
		return v.Type() == attribute.STRING && v.AsString() == w
	case int:
		return v.Type() == attribute.INT64 && v.AsInt64() == int64(w)
	case int64:
		return v.Type() == attribute.INT64 && v.AsInt64() == w
	case bool:
		return v.Type() == attribute.BOOL && v.AsBool() == w
	case float64:
		d := v.AsFloat64() - w
		return v.Type() == attribute.FLOAT64 && d*d <= 1e-18+1e-18*w*w
	case []string:
		return v.Type() == attribute.STRINGSLICE && strings.Join(v.AsStringSlice(), "\x00") == strings.Join(w, "\x00")
	}
	return false
}

// metrics collects every metric by name.
func (h *harness) metrics(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// checkTokenMetrics asserts one input and one output point of the token
// histogram with the given sums, and one duration point.
func checkTokenMetrics(t *testing.T, h *harness, in, out int64) {
	t.Helper()
	ms := h.metrics(t)
	tu, ok := ms[semconv.MetricTokenUsage].Data.(metricdata.Histogram[int64])
	if !ok {
		t.Fatalf("%s missing", semconv.MetricTokenUsage)
	}
	sums := map[string]int64{}
	for _, dp := range tu.DataPoints {
		typ, _ := dp.Attributes.Value(semconv.GenAITokenType)
		sums[typ.AsString()] += dp.Sum
		if dp.Count != 1 {
			t.Errorf("token point %s count %d, want 1", typ.AsString(), dp.Count)
		}
		if _, ok := dp.Attributes.Value(semconv.UserID); ok {
			t.Errorf("user.id on a metric point without WithUserIDOnMetrics")
		}
	}
	if sums[semconv.TokenTypeInput] != in || sums[semconv.TokenTypeOutput] != out {
		t.Errorf("token usage input %d output %d, want %d %d", sums["input"], sums["output"], in, out)
	}
	d, ok := ms[semconv.MetricOperationDuration].Data.(metricdata.Histogram[float64])
	if !ok || len(d.DataPoints) != 1 || d.DataPoints[0].Count != 1 {
		t.Fatalf("%s: want one point with count 1, got %+v", semconv.MetricOperationDuration, ms[semconv.MetricOperationDuration].Data)
	}
	for _, k := range []attribute.Key{semconv.GenAIOperationName, semconv.GenAIProviderName, semconv.GenAIRequestModel} {
		if _, ok := d.DataPoints[0].Attributes.Value(k); !ok {
			t.Errorf("duration point lacks %s", k)
		}
	}
}

// checkExceeded asserts one aiusage.ratelimit.exceeded increment carrying want.
func checkExceeded(t *testing.T, h *harness, want map[attribute.Key]string) {
	t.Helper()
	sum, ok := h.metrics(t)[semconv.MetricRateLimitExceeded].Data.(metricdata.Sum[int64])
	if !ok || len(sum.DataPoints) != 1 || sum.DataPoints[0].Value != 1 {
		t.Fatalf("%s: want one point of 1, got %+v", semconv.MetricRateLimitExceeded, sum)
	}
	for k, w := range want {
		if v, _ := sum.DataPoints[0].Attributes.Value(k); v.AsString() != w {
			t.Errorf("exceeded %s = %q, want %q", k, v.AsString(), w)
		}
	}
}

// utilizationPoint returns the estimated utilization gauge of resource and window.
func utilizationPoint(t testing.TB, h *harness, resource, window string) (float64, bool) {
	t.Helper()
	g, _ := h.metrics(t)[semconv.MetricRateLimitUtilization].Data.(metricdata.Gauge[float64])
	for _, dp := range g.DataPoints {
		res, _ := dp.Attributes.Value(semconv.RateLimitResource)
		win, _ := dp.Attributes.Value(semconv.RateLimitWindow)
		src, _ := dp.Attributes.Value(semconv.RateLimitSource)
		if res.AsString() == resource && win.AsString() == window && src.AsString() == semconv.SourceEstimate {
			return dp.Value, true
		}
	}
	return 0, false
}

// usd prices tokens at USD per million.
func usd(tokens int64, perMTok float64) float64 { return float64(tokens) * perMTok / 1e6 }

// groqHeaders are a Groq response's headers with its rate-limit set.
var groqHeaders = map[string]string{
	"Content-Type":                   "application/json",
	"x-ratelimit-limit-requests":     "1000",
	"x-ratelimit-remaining-requests": "998",
	"x-ratelimit-reset-requests":     "2m52.8s",
	"x-ratelimit-limit-tokens":       "8000",
	"x-ratelimit-remaining-tokens":   "7544",
	"x-ratelimit-reset-tokens":       "3.42s",
	"x-request-id":                   "req_01kb2x9",
}

func withContentType(h map[string]string, ct string) map[string]string {
	out := maps.Clone(h)
	out["Content-Type"] = ct
	return out
}

// reply is a canned provider response: a body from the library's testdata.
type reply struct {
	status int
	header map[string]string
	file   string // under instrumentation/testdata
	// chunkSep splits the body into separately flushed writes (SSE events);
	// empty writes it at once.
	chunkSep string
}

// testdata reads one of the library's canned provider bodies.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "instrumentation", "testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

// providerServer serves replies by request path on loopback, flushing
// streamed bodies event by event as providers do.
func providerServer(t testing.TB, replies map[string]reply) *httptest.Server {
	t.Helper()
	bodies := map[string][]byte{}
	for path, r := range replies {
		bodies[path] = testdata(t, r.file)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r, ok := replies[req.URL.Path]
		if !ok {
			http.Error(w, "no reply for "+req.URL.Path, http.StatusNotFound)
			return
		}
		for k, v := range r.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(max(r.status, http.StatusOK))
		if r.chunkSep == "" {
			_, _ = w.Write(bodies[req.URL.Path])
			return
		}
		for _, part := range strings.SplitAfter(string(bodies[req.URL.Path]), r.chunkSep) {
			_, _ = w.Write([]byte(part))
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hostOf returns the host:port of a test server URL.
func hostOf(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
