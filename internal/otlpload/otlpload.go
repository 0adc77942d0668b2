// Package otlpload offers a collector GenAI spans over OTLP/gRPC at a fixed rate.
//
// The spans have the shape of the instrumentation's chat calls (usage, attribution,
// rate limits, cost). Each sender builds its batch once and changes only the ids and
// times between exports, so the load costs the machine little next to the collector
// it measures: on a machine the two share, the collector gets the cores.
package otlpload

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Model is the request and response model of every span: a Groq model the price
// table holds.
const Model = "openai/gpt-oss-20b"

// Spans returns one resource's batch of n GenAI chat spans that end at now, each with
// a random trace and span id. Token counts and users vary with the span's index.
func Spans(n int, now time.Time) []*tracepb.ResourceSpans {
	str := func(k attribute.Key, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: string(k), Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	num := func(k attribute.Key, v int64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: string(k), Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
	}
	dbl := func(k attribute.Key, v float64) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: string(k), Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v}}}
	}
	spans := make([]*tracepb.Span, n)
	for i := range spans {
		traceID, spanID := make([]byte, 16), make([]byte, 8)
		_, _ = rand.Read(traceID)
		_, _ = rand.Read(spanID)
		in, out := int64(200+i%300), int64(40+i%120)
		spans[i] = &tracepb.Span{
			TraceId: traceID, SpanId: spanID,
			Name:              semconv.OperationChat + " " + Model,
			Kind:              tracepb.Span_SPAN_KIND_CLIENT,
			StartTimeUnixNano: uint64(now.Add(-300 * time.Millisecond).UnixNano()),
			EndTimeUnixNano:   uint64(now.UnixNano()),
			Attributes: []*commonpb.KeyValue{
				str(semconv.GenAIOperationName, semconv.OperationChat),
				str(semconv.GenAIProviderName, semconv.ProviderGroq),
				str(semconv.GenAIRequestModel, Model),
				str(semconv.GenAIResponseModel, Model),
				str(semconv.GenAIResponseID, "chatcmpl-"+strconv.Itoa(i)),
				num(semconv.GenAIUsageInputTokens, in),
				num(semconv.GenAIUsageOutputTokens, out),
				str(semconv.UserID, fmt.Sprintf("user-%d", i%50)),
				str(semconv.ProjectID, "home-assistant"),
				str(semconv.ActionType, "reply"),
				str(semconv.ServerAddress, "api.groq.com"),
				num(semconv.ServerPort, 443),
				num(semconv.HTTPResponseStatusCode, 200),
				num(semconv.RateLimitRequestsLimit, 14400),
				num(semconv.RateLimitRequestsRemaining, 14000),
				dbl(semconv.RateLimitRequestsReset, 6.2),
				num(semconv.RateLimitTokensLimit, 250000),
				num(semconv.RateLimitTokensRemaining, 240000),
				dbl(semconv.RateLimitTokensReset, 0.4),
				dbl(semconv.CostUSD, float64(in)*0.05/1e6+float64(out)*0.08/1e6),
				str(semconv.CostStatus, semconv.CostPriced),
			},
			Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_UNSET},
		}
	}
	return []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str(semconv.ServiceName, "load")}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope:     &commonpb.InstrumentationScope{Name: "github.com/aiusage/aiusage/instrumentation"},
			SchemaUrl: semconv.SchemaURL,
			Spans:     spans,
		}},
	}}
}

// Options configures a Load.
type Options struct {
	// Endpoint is the collector's OTLP/gRPC address (host:port, plaintext).
	Endpoint string
	// Rate is the spans offered a second over all senders.
	Rate float64
	// Batch is the spans per export; 0 means 512, the SDK batch processor's default.
	Batch int
	// Senders is the exports in flight at once; 0 means 4.
	Senders int
}

// Load offers spans until stopped. An export the collector refuses is not retried:
// its spans count as failed.
type Load struct {
	client       otlptrace.Client
	cancel       context.CancelFunc
	done         sync.WaitGroup
	sent, failed atomic.Int64
	next         atomic.Uint64 // the last span number given out
	nonce        uint64        // this load's trace id prefix: ids unique across loads
}

// Start connects to o.Endpoint and begins offering spans.
func Start(ctx context.Context, o Options) (*Load, error) {
	if o.Rate <= 0 {
		return nil, fmt.Errorf("otlpload: rate %v: must be above 0", o.Rate)
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.Senders <= 0 {
		o.Senders = 4
	}
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(o.Endpoint), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("otlpload: connect %s: %w", o.Endpoint, err)
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	ctx, cancel := context.WithCancel(ctx)
	l := &Load{client: client, cancel: cancel, nonce: binary.BigEndian.Uint64(nonce[:])}
	batches := make(chan struct{}, o.Senders)
	for range o.Senders {
		l.done.Go(func() { l.send(ctx, o.Batch, batches) })
	}
	l.done.Go(func() { pace(ctx, o.Rate, o.Batch, batches) })
	return l, nil
}

// pace hands out a batch each time rate has made one due. When every sender is busy
// it waits: the load offers what the collector takes, at most rate.
func pace(ctx context.Context, rate float64, batch int, batches chan<- struct{}) {
	defer close(batches)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	start, issued := time.Now(), 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for due := rate * now.Sub(start).Seconds(); issued+float64(batch) <= due; issued += float64(batch) {
				select {
				case batches <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// send exports a batch for each token on batches, reusing its spans with new ids and times.
func (l *Load) send(ctx context.Context, n int, batches <-chan struct{}) {
	rs := Spans(n, time.Now())
	spans := rs[0].ScopeSpans[0].Spans
	for range batches {
		now := time.Now()
		for _, s := range spans {
			id := l.next.Add(1)
			binary.BigEndian.PutUint64(s.TraceId[:8], l.nonce)
			binary.BigEndian.PutUint64(s.TraceId[8:], id)
			binary.BigEndian.PutUint64(s.SpanId, id)
			s.StartTimeUnixNano = uint64(now.Add(-300 * time.Millisecond).UnixNano())
			s.EndTimeUnixNano = uint64(now.UnixNano())
		}
		if err := l.client.UploadTraces(ctx, rs); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.failed.Add(int64(n))
			continue
		}
		l.sent.Add(int64(n))
	}
}

// Sent returns the spans the collector acknowledged and those whose export failed; an
// export Stop cut short counts in neither.
func (l *Load) Sent() (ok, failed int64) { return l.sent.Load(), l.failed.Load() }

// Stop stops offering, waits for the exports in flight and disconnects.
func (l *Load) Stop(ctx context.Context) error {
	l.cancel()
	l.done.Wait()
	if err := l.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("otlpload: disconnect: %w", err)
	}
	return nil
}
