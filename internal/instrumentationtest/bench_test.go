package instrumentationtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// eventReader returns one event per Read, as a streamed body arrives.
type eventReader struct {
	events [][]byte
	cur    []byte
}

func (r *eventReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if len(r.events) == 0 {
			return 0, io.EOF
		}
		r.cur, r.events = r.events[0], r.events[1:]
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *eventReader) Close() error { return nil }

// memTransport answers every request in memory, without a network.
type memTransport struct {
	header http.Header
	body   func() io.ReadCloser
}

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: m.header.Clone(), Body: m.body(), ContentLength: -1, Request: req,
	}, nil
}

// benchChat is a ~1 KB chat completion.
func benchChat() []byte {
	content := strings.Repeat("Paris is the capital and largest city of France. ", 14)
	return fmt.Appendf(nil, `{"id":"chatcmpl-5b1c7e2a","object":"chat.completion","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"message":{"role":"assistant","content":%q},"logprobs":null,"finish_reason":"stop"}],"usage":{"queue_time":0.021,"prompt_tokens":336,"prompt_time":0.012,"completion_tokens":120,"completion_time":0.201,"total_tokens":456,"total_time":0.213},"system_fingerprint":"fp_3b0ac2a4","x_groq":{"id":"req_01kb2x9"}}`, content)
}

// benchStream is a stream of n chunks, n-1 with content and the last with the
// finish reason and usage, then [DONE].
func benchStream(n int) (stream [][]byte) {
	for i := range n - 1 {
		stream = append(stream, fmt.Appendf(nil, `data: {"id":"chatcmpl-9e4d","object":"chat.completion.chunk","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"delta":{"content":"token %d "},"finish_reason":null}]}`+"\n\n", i))
	}
	stream = append(stream,
		[]byte(`data: {"id":"chatcmpl-9e4d","object":"chat.completion.chunk","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":{"prompt_tokens":42,"completion_tokens":99,"total_tokens":141}}}`+"\n\n"),
		[]byte("data: [DONE]\n\n"))
	return stream
}

// benchProviders record like a production SDK setup: every span sampled and
// handed to an exporter, metrics aggregated.
func benchProviders() (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return tp, mp
}

// benchTransports returns the transports compared over base, sharing one SDK
// setup: bare, otelhttp, aiusage, and the SDK floor of aiusage's telemetry.
func benchTransports(b testing.TB, base http.RoundTripper) []namedTransport {
	tp, mp := benchProviders()
	inst, err := instrumentation.New(instrumentation.WithTracerProvider(tp), instrumentation.WithMeterProvider(mp))
	if err != nil {
		b.Fatal(err)
	}
	return []namedTransport{
		{"bare", base},
		{"otelhttp", otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp))},
		{"aiusage", inst.Transport(base)},
		{"sdkfloor", newSDKFloor(b, base, tp, mp)},
	}
}

// sdkFloor records exactly the telemetry aiusage records for a call, replayed
// from a real call (the span's name and attributes, given at start and at end
// as aiusage gives them, and each metric point with its attribute set), and does
// nothing else: no request body or response byte is looked at. Its overhead is
// what the OpenTelemetry SDK costs for what the telemetry contract asks; the
// rest of aiusage's overhead is its own.
type sdkFloor struct {
	base       http.RoundTripper
	tracer     trace.Tracer
	name       string
	startOpts  []trace.SpanStartOption
	end        []attribute.KeyValue
	recordings []func(context.Context)
}

// startKeys are the attributes aiusage gives at span start.
var startKeys = map[attribute.Key]bool{
	semconv.GenAIOperationName: true, semconv.GenAIProviderName: true, semconv.GenAIRequestModel: true,
	semconv.GenAIRequestStream: true, semconv.ServerAddress: true, semconv.ServerPort: true,
}

func newSDKFloor(tb testing.TB, base http.RoundTripper, tp *sdktrace.TracerProvider, mp *sdkmetric.MeterProvider) *sdkFloor {
	h := newHarness(tb)
	benchCall(tb, h.inst.Transport(base))
	span := h.span(tb)
	f := &sdkFloor{base: base, tracer: tp.Tracer("sdkfloor"), name: span.Name}
	var start []attribute.KeyValue
	for _, kv := range span.Attributes {
		if startKeys[kv.Key] {
			start = append(start, kv)
		} else {
			f.end = append(f.end, kv)
		}
	}
	f.startOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(start...)}
	meter := mp.Meter("sdkfloor")
	for name, m := range h.metrics(tb) {
		var points []func(context.Context)
		switch data := m.Data.(type) {
		case metricdata.Histogram[int64]:
			inst, _ := meter.Int64Histogram(name)
			points = histogramPoints(data.DataPoints, inst.Record)
		case metricdata.Histogram[float64]:
			inst, _ := meter.Float64Histogram(name)
			points = histogramPoints(data.DataPoints, inst.Record)
		case metricdata.Sum[int64]:
			inst, _ := meter.Int64Counter(name)
			points = sumPoints(data.DataPoints, inst.Add)
		case metricdata.Sum[float64]:
			inst, _ := meter.Float64Counter(name)
			points = sumPoints(data.DataPoints, inst.Add)
		}
		f.recordings = append(f.recordings, points...)
	}
	if len(f.end) == 0 || len(f.recordings) == 0 {
		tb.Fatalf("sdk floor: the call recorded %d end attributes and %d metric points", len(f.end), len(f.recordings))
	}
	return f
}

// histogramPoints returns a recording of each point's value with its attributes.
func histogramPoints[N int64 | float64](dps []metricdata.HistogramDataPoint[N],
	record func(context.Context, N, ...metric.RecordOption)) []func(context.Context) {
	var out []func(context.Context)
	for _, dp := range dps {
		opts := []metric.RecordOption{metric.WithAttributeSet(dp.Attributes)}
		out = append(out, func(ctx context.Context) { record(ctx, dp.Sum, opts...) })
	}
	return out
}

// sumPoints returns an addition of each point's value with its attributes.
func sumPoints[N int64 | float64](dps []metricdata.DataPoint[N],
	add func(context.Context, N, ...metric.AddOption)) []func(context.Context) {
	var out []func(context.Context)
	for _, dp := range dps {
		opts := []metric.AddOption{metric.WithAttributeSet(dp.Attributes)}
		out = append(out, func(ctx context.Context) { add(ctx, dp.Value, opts...) })
	}
	return out
}

func (f *sdkFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	b := &floorBody{f: f}
	b.opts = [...]trace.SpanStartOption{f.startOpts[0], f.startOpts[1], trace.WithTimestamp(time.Now())}
	b.ctx, b.span = f.tracer.Start(req.Context(), f.name, b.opts[:]...)
	resp, err := f.base.RoundTrip(req.WithContext(b.ctx))
	if err != nil {
		b.span.End()
		return nil, err
	}
	b.ReadCloser, resp.Body = resp.Body, b
	return resp, nil
}

// floorBody ends the floor's span and records its points at EOF or Close.
type floorBody struct {
	io.ReadCloser
	f    *sdkFloor
	opts [3]trace.SpanStartOption
	ctx  context.Context
	span trace.Span
	done bool
}

func (b *floorBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.finish()
	}
	return n, err
}

func (b *floorBody) Close() error {
	err := b.ReadCloser.Close()
	b.finish()
	return err
}

func (b *floorBody) finish() {
	if b.done {
		return
	}
	b.done = true
	b.span.SetAttributes(b.f.end...)
	b.span.End(trace.WithTimestamp(time.Now()))
	for _, r := range b.f.recordings {
		r(b.ctx)
	}
}

type namedTransport struct {
	name string
	rt   http.RoundTripper
}

// benchCase is one kind of call the benchmarks make.
type benchCase struct {
	name string
	base memTransport
}

// benchCases are a chat call, and streams of 100 and 1000 chunks: the
// difference between the two streams' overheads is the cost per chunk.
func benchCases() []benchCase {
	chat, stream, long := benchChat(), benchStream(100), benchStream(1000)
	header := func(ct string) http.Header {
		return http.Header{"Content-Type": {ct}, "X-Ratelimit-Limit-Requests": {"14400"},
			"X-Ratelimit-Remaining-Requests": {"14399"}, "X-Ratelimit-Reset-Requests": {"6s"}}
	}
	return []benchCase{
		{"chat_1KB", memTransport{header: header("application/json"), body: func() io.ReadCloser { return &eventReader{events: [][]byte{chat}} }}},
		{"stream_100_chunks", memTransport{header: header("text/event-stream"), body: func() io.ReadCloser { return &eventReader{events: stream} }}},
		{"stream_1000_chunks", memTransport{header: header("text/event-stream"), body: func() io.ReadCloser { return &eventReader{events: long} }}},
	}
}

// benchCall makes one chat call through rt and reads the response as an app does.
func benchCall(b testing.TB, rt http.RoundTripper) {
	const reqBody = `{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"What is the capital of France?"}]}`
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost,
		"https://api.groq.com/openai/v1/chat/completions", strings.NewReader(reqBody))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// TestAllocationsBelowOtelhttp: per call, the transport adds fewer allocations
// over the bare transport than otelhttp does. Unlike times, allocation counts are
// the same on every machine and every run, so this target of issue 16 is a test.
func TestAllocationsBelowOtelhttp(t *testing.T) {
	for _, c := range benchCases() {
		ts := benchTransports(t, c.base)
		allocs := make([]float64, len(ts))
		for n, tr := range ts {
			allocs[n] = testing.AllocsPerRun(200, func() { benchCall(t, tr.rt) })
		}
		bare, otel, ours, floor := allocs[0], allocs[1], allocs[2], allocs[3]
		t.Logf("%s: allocations per call: bare %.1f, otelhttp +%.1f, aiusage +%.1f (SDK floor +%.1f)",
			c.name, bare, otel-bare, ours-bare, floor-bare)
		if ours-bare >= otel-bare {
			t.Errorf("%s: aiusage adds %.1f allocations per call, otelhttp %.1f", c.name, ours-bare, otel-bare)
		}
	}
}

// BenchmarkTransportInterleaved makes the same call through the bare,
// otelhttp, aiusage and SDK-floor transports in turn, so that all share the
// machine's load of the moment, and reports each one's time per call and the
// ratios of the wrappers' overheads over bare to otelhttp's: in elapsed time
// (ns) and, on Linux, in the process's CPU time (cpu-ns), which leaves out the
// time other processes held the cores and counts the garbage collector's work
// on other threads.
func BenchmarkTransportInterleaved(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			ts := benchTransports(b, c.base)
			spent := make([]time.Duration, len(ts))
			cpu := make([]time.Duration, len(ts))
			for b.Loop() {
				for n, t := range ts {
					start, startCPU := time.Now(), processCPU()
					benchCall(b, t.rt)
					cpu[n] += processCPU() - startCPU
					spent[n] += time.Since(start)
				}
			}
			report := func(d []time.Duration, unit string) {
				per := func(n int) float64 { return float64(d[n].Nanoseconds()) / float64(b.N) }
				for n, t := range ts {
					b.ReportMetric(per(n), t.name+"-"+unit+"/call")
				}
				b.ReportMetric((per(2)-per(0))/(per(1)-per(0)), unit+"-overhead-aiusage/otelhttp")
				b.ReportMetric((per(3)-per(0))/(per(1)-per(0)), unit+"-overhead-sdkfloor/otelhttp")
			}
			report(spent, "ns")
			if cpu[0] > 0 {
				report(cpu, "cpu-ns")
			}
			b.ReportMetric(0, "ns/op") // the per-transport metrics above are the result
		})
	}
}

// BenchmarkTransport compares, in one run, the bare in-memory transport,
// otelhttp's and ours on the same calls; the differences are each wrapper's
// overhead per call.
func BenchmarkTransport(b *testing.B) {
	for _, c := range benchCases() {
		for _, t := range benchTransports(b, c.base) {
			b.Run(c.name+"/"+t.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					benchCall(b, t.rt)
				}
			})
		}
	}
}

// BenchmarkOpenAISDK puts the real openai-go client on top of each transport.
func BenchmarkOpenAISDK(b *testing.B) {
	for _, t := range benchTransports(b, benchCases()[0].base) {
		b.Run("chat_1KB/"+t.name, func(b *testing.B) {
			client := openai.NewClient(option.WithBaseURL("https://api.groq.com/openai/v1"), option.WithAPIKey("k"),
				option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: t.rt}))
			params := openai.ChatCompletionNewParams{
				Model:    "llama-3.1-8b-instant",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the capital of France?")},
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSDKCost measures what the OpenTelemetry SDK charges per span
// attribute and per metric point, with the benchmark providers: a span with no
// attributes, with 6 given at start (aiusage's start set), with 6 at start and
// 15 set at end (a chat call's), and a histogram point and a counter point
// with a prebuilt attribute set of 3 and of 7 attributes.
func BenchmarkSDKCost(b *testing.B) {
	tp, mp := benchProviders()
	tracer := tp.Tracer("sdkcost")
	attrs := func(n int) []attribute.KeyValue {
		kvs := make([]attribute.KeyValue, n)
		for i := range kvs {
			kvs[i] = attribute.String(fmt.Sprintf("gen_ai.attribute.%d", i), "llama-3.1-8b-instant")
		}
		return kvs
	}
	kind, start, end := trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs(6)...), attrs(15)
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		start, end bool
	}{{"span/attributes=0", false, false}, {"span/attributes=6+0", true, false}, {"span/attributes=6+15", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				opts := []trace.SpanStartOption{kind}
				if c.start {
					opts = append(opts, start)
				}
				_, span := tracer.Start(ctx, "chat llama-3.1-8b-instant", opts...)
				if c.end {
					span.SetAttributes(end...)
				}
				span.End()
			}
		})
	}
	meter := mp.Meter("sdkcost")
	histogram, _ := meter.Int64Histogram("histogram")
	counter, _ := meter.Float64Counter("counter")
	for _, n := range []int{3, 7} {
		set := attribute.NewSet(attrs(n)...)
		record, add := []metric.RecordOption{metric.WithAttributeSet(set)}, []metric.AddOption{metric.WithAttributeSet(set)}
		b.Run(fmt.Sprintf("histogram/attributes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				histogram.Record(ctx, 120, record...)
			}
		})
		b.Run(fmt.Sprintf("counter/attributes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				counter.Add(ctx, 0.0001, add...)
			}
		})
	}
}
