package durability

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/demo"
)

// Options configure a Generator.
type Options struct {
	// Endpoint is the collector's OTLP/gRPC address (host:port, plaintext).
	Endpoint string
	// Rate is how many calls a second are recorded over all streams; 0 records as
	// fast as the collector takes them.
	Rate float64
	// Streams is how many apps send at once, each with its own SDK pipeline and OTLP
	// connection; 0 means 1.
	Streams int
	// BatchSize is the spans per OTLP export (the SDK batch processor's batch size);
	// 0 means the SDK's default, 512.
	BatchSize int
	// Content returns the prompt of call n as the JSON of gen_ai.input.messages and
	// gen_ai.system_instructions, recorded as an app that opted in to content
	// recording would; nil records no content, the instrumentation's default.
	Content func(n int64) (input, system string)
	// Service is the spans' service.name; empty means "durability".
	Service string
	// Age dates every call this long before it is recorded: days back, the calls land on
	// closed UTC days, which an archive seals.
	Age time.Duration
}

// Generator records GenAI calls with the aiusage instrumentation, exports the spans
// with the OTel SDK's batch processor and OTLP/gRPC exporter, and remembers the span
// id of every span in an export the collector acknowledged. The SDK queue blocks
// rather than drops, so every span recorded ends up acknowledged or in a failed export.
type Generator struct {
	opts     Options
	streams  []*stream
	cancel   context.CancelFunc
	running  sync.WaitGroup
	started  time.Time
	stopped  time.Time
	next     atomic.Int64 // the next call's number
	recorded atomic.Int64
	acks     ackLog
	attempts attemptLog
}

// stream is one app: an instrumentation on its own SDK pipeline and connection.
type stream struct {
	inst *instrumentation.Instrumentation
	tp   *sdktrace.TracerProvider
}

// Start starts sending; Stop ends it. ctx bounds only the setup.
func Start(ctx context.Context, o Options) (*Generator, error) {
	if o.Endpoint == "" {
		return nil, errors.New("generator: Endpoint must be set")
	}
	o.Streams = max(o.Streams, 1)
	if o.BatchSize <= 0 {
		o.BatchSize = sdktrace.DefaultMaxExportBatchSize
	}
	if o.Service == "" {
		o.Service = "durability"
	}
	g := &Generator{opts: o, attempts: attemptLog{codes: map[codes.Code]int64{}}}
	res := resource.NewSchemaless(semconv.ServiceName.String(o.Service))
	for range o.Streams {
		s, err := g.newStream(ctx, res)
		if err != nil {
			g.shutdownStreams(context.Background())
			return nil, err
		}
		g.streams = append(g.streams, s)
	}
	run, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.started = time.Now()
	for _, s := range g.streams {
		g.running.Go(func() { g.run(run, s, o.Rate/float64(o.Streams)) })
	}
	return g, nil
}

func (g *Generator) newStream(ctx context.Context, res *resource.Resource) (*stream, error) {
	exp, err := otlptracegrpc.New(ctx,
		otlptracegrpc.WithEndpoint(g.opts.Endpoint),
		otlptracegrpc.WithInsecure(),
		// Retry refusals and a collector that is down, as an app would, long enough to
		// outlast a restart; the first attempts come soon so that a test is short.
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{
			Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: 90 * time.Second,
		}),
		otlptracegrpc.WithTimeout(100*time.Second),
		otlptracegrpc.WithDialOption(
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, MaxDelay: time.Second},
				MinConnectTimeout: 2 * time.Second,
			}),
			grpc.WithUnaryInterceptor(g.attempts.intercept),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("generator: otlp exporter for %s: %w", g.opts.Endpoint, err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(transportAttributes{content: g.opts.Content}),
		sdktrace.WithBatcher(&ackExporter{next: exp, log: &g.acks},
			sdktrace.WithMaxExportBatchSize(g.opts.BatchSize),
			sdktrace.WithMaxQueueSize(4*g.opts.BatchSize),
			sdktrace.WithBatchTimeout(200*time.Millisecond),
			sdktrace.WithExportTimeout(2*time.Minute),
			sdktrace.WithBlocking()),
	)
	inst, err := instrumentation.New(
		instrumentation.WithTracerProvider(tp),
		instrumentation.WithMeterProvider(metricnoop.NewMeterProvider()))
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("generator: %w", err)
	}
	return &stream{inst: inst, tp: tp}, nil
}

// run records calls on s at rate a second (0: as fast as the SDK queue takes them)
// until ctx ends.
func (g *Generator) run(ctx context.Context, s *stream, rate float64) {
	start := time.Now()
	var done int64
	for ctx.Err() == nil {
		if rate > 0 && float64(done) >= rate*time.Since(start).Seconds() {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		n := g.next.Add(1) - 1
		c, a := call(n, g.opts.Age)
		s.inst.Record(context.WithValue(instrumentation.WithAttribution(ctx, a), callNumber{}, n), c)
		g.recorded.Add(1)
		done++
	}
}

// Stop stops recording, waits until every span recorded was exported or its export
// failed, and closes the connections. ctx bounds the wait.
func (g *Generator) Stop(ctx context.Context) error {
	g.cancel()
	waited := make(chan struct{})
	go func() { g.running.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		return fmt.Errorf("generator: stop: calls still blocked on the SDK queue: %w", ctx.Err())
	}
	g.stopped = time.Now()
	return g.shutdownStreams(ctx)
}

func (g *Generator) shutdownStreams(ctx context.Context) error {
	var errs []error
	for _, s := range g.streams {
		if err := s.tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("generator: flush spans: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Stats are a generator's counts so far.
type Stats struct {
	// Recorded is the calls recorded, each one span.
	Recorded int64
	// Acknowledged is the spans in exports the collector answered OK.
	Acknowledged int64
	// Failed is the spans in exports that failed after the exporter's retries.
	Failed int64
	// Attempts counts export attempts (retries included) by the collector's answer;
	// codes.OK are acknowledgements, codes.Unavailable the retryable refusals (and
	// attempts while the collector was down).
	Attempts map[codes.Code]int64
	// Elapsed is the time from Start to Stop (or to now while running).
	Elapsed time.Duration
}

// Stats returns the counts so far.
func (g *Generator) Stats() Stats {
	g.acks.mu.Lock()
	acked, failed := int64(len(g.acks.ids)), g.acks.failed
	g.acks.mu.Unlock()
	end := g.stopped
	if end.IsZero() {
		end = time.Now()
	}
	return Stats{
		Recorded:     g.recorded.Load(),
		Acknowledged: acked,
		Failed:       failed,
		Attempts:     g.attempts.snapshot(),
		Elapsed:      end.Sub(g.started),
	}
}

// Acknowledged returns the span ids (hex, as the exporter stores them) of every span
// the collector acknowledged, in the order they were acknowledged.
func (g *Generator) Acknowledged() []string {
	g.acks.mu.Lock()
	defer g.acks.mu.Unlock()
	ids := make([]string, len(g.acks.ids))
	for i, id := range g.acks.ids {
		ids[i] = id.String()
	}
	return ids
}

// ackExporter passes exports on and logs the span ids of those acknowledged.
type ackExporter struct {
	next sdktrace.SpanExporter
	log  *ackLog
}

func (a *ackExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := a.next.ExportSpans(ctx, spans)
	a.log.add(spans, err)
	return err
}

func (a *ackExporter) Shutdown(ctx context.Context) error { return a.next.Shutdown(ctx) }

// ackLog holds the acknowledged span ids and the count of spans whose export failed.
type ackLog struct {
	mu     sync.Mutex
	ids    []trace.SpanID
	failed int64
}

func (l *ackLog) add(spans []sdktrace.ReadOnlySpan, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed += int64(len(spans))
		return
	}
	for _, s := range spans {
		l.ids = append(l.ids, s.SpanContext().SpanID())
	}
}

// attemptLog counts export attempts by their gRPC status.
type attemptLog struct {
	mu    sync.Mutex
	codes map[codes.Code]int64
}

func (l *attemptLog) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	l.mu.Lock()
	l.codes[status.Code(err)]++
	l.mu.Unlock()
	return err
}

func (l *attemptLog) snapshot() map[codes.Code]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.codes)
}

// call returns call n, dated age ago: alternately a Groq chat with its rate-limit headers and a
// Gemini generate_content (models of the demo's workload), every 50th a 429 naming the exhausted quota, spread over
// 50 users in 5 projects, with the token counts varying.
func call(n int64, age time.Duration) (instrumentation.Call, instrumentation.Attribution) {
	end := time.Now().Add(-age)
	in, out := 200+n%300, 40+n%120
	c := instrumentation.Call{
		Start:         end.Add(-time.Duration(300+n%700) * time.Millisecond),
		End:           end,
		StatusCode:    200,
		ServerPort:    443,
		ResponseID:    "resp-" + strconv.FormatInt(n, 10),
		FinishReasons: []string{"stop"},
		Usage:         &instrumentation.Usage{InputTokens: in, OutputTokens: out, CacheReadInputTokens: in / 4},
	}
	if n%2 == 0 {
		c.Provider, c.ServerAddress = instrumentation.Groq, "api.groq.com"
		c.RequestModel, c.ResponseModel = demo.GroqIntentModel, demo.GroqIntentModel
	} else {
		c.Provider, c.ServerAddress = instrumentation.Gemini, "generativelanguage.googleapis.com"
		c.RequestModel, c.ResponseModel = demo.GeminiReplyModel, demo.GeminiReplyModel
	}
	if n%50 == 49 {
		c.StatusCode, c.ErrorType, c.Usage, c.FinishReasons, c.ResponseID = 429, "429", nil, nil, ""
		c.Exceeded = &instrumentation.Exceeded{Resource: semconv.ResourceTokens, Window: semconv.WindowMinute, RetryDelay: 2 * time.Second}
	}
	a := instrumentation.Attribution{
		UserID:    "user-" + strconv.FormatInt(n%50, 10),
		ProjectID: "project-" + strconv.FormatInt(n%5, 10),
		Action:    "reply",
	}
	return c, a
}

// callNumber is the context key of the number of the call being recorded.
type callNumber struct{}

// transportAttributes adds to each call's span what the instrumentation's transport
// records and Record cannot be given: Groq's rate-limit headers and, for an app that
// opted in to content, the prompt. The spans are then shaped like those of real HTTP
// calls, at the generator's rate, without an HTTP round trip each.
type transportAttributes struct {
	content func(n int64) (input, system string)
}

func (p transportAttributes) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	n, ok := ctx.Value(callNumber{}).(int64)
	if !ok {
		return
	}
	if n%2 == 0 {
		in := 200 + n%300 // as call
		s.SetAttributes(
			semconv.RateLimitRequestsLimit.Int64(14400),
			semconv.RateLimitRequestsRemaining.Int64(14400-n%14400),
			semconv.RateLimitRequestsReset.Float64(6),
			semconv.RateLimitTokensLimit.Int64(250000),
			semconv.RateLimitTokensRemaining.Int64(250000-(n*in)%250000),
			semconv.RateLimitTokensReset.Float64(0.4))
	}
	if p.content != nil {
		input, system := p.content(n)
		s.SetAttributes(semconv.GenAIInputMessages.String(input), semconv.GenAISystemInstructions.String(system))
	}
}

func (transportAttributes) OnEnd(sdktrace.ReadOnlySpan)      {}
func (transportAttributes) Shutdown(context.Context) error   { return nil }
func (transportAttributes) ForceFlush(context.Context) error { return nil }
