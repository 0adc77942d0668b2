package otlpload

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// receiver is an OTLP/gRPC trace service that keeps what it is sent.
type receiver struct {
	ptraceotlp.UnimplementedGRPCServer
	mu      sync.Mutex
	batches []int
	ids     map[pcommon.SpanID]int
	bad     []string
}

func (r *receiver) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	td := req.Traces()
	r.batches = append(r.batches, td.SpanCount())
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				r.ids[s.SpanID()]++
				r.check(s)
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

// check notes a span that is not a chat call with usage and recent times.
func (r *receiver) check(s ptrace.Span) {
	attrs := s.Attributes()
	op, _ := attrs.Get(string(semconv.GenAIOperationName))
	in, _ := attrs.Get(string(semconv.GenAIUsageInputTokens))
	switch {
	case op.Str() != semconv.OperationChat:
		r.bad = append(r.bad, "operation "+op.Str())
	case in.Int() <= 0:
		r.bad = append(r.bad, "input tokens "+in.AsString())
	case time.Since(s.EndTimestamp().AsTime()) > time.Minute:
		r.bad = append(r.bad, "end "+s.EndTimestamp().String())
	case s.TraceID().IsEmpty():
		r.bad = append(r.bad, "empty trace id")
	}
}

func TestLoadSendsUniqueGenAISpans(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rec := &receiver{ids: map[pcommon.SpanID]int{}}
	ptraceotlp.RegisterGRPCServer(srv, rec)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	l, err := Start(context.Background(), Options{Endpoint: lis.Addr().String(), Rate: 20_000, Batch: 100, Senders: 3})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ok, _ := l.Sent(); ok < 2_000 && time.Now().Before(deadline); ok, _ = l.Sent() {
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	ok, failed := l.Sent()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if ok < 2_000 || failed != 0 {
		t.Fatalf("sent %d, failed %d: want at least 2000 acknowledged, none failed", ok, failed)
	}
	// An export Stop cut short may have arrived unacknowledged: at most one per sender.
	if got := int64(len(rec.ids)); got < ok || got > ok+3*100 {
		t.Errorf("received %d distinct span ids, the load counted %d acknowledged (and up to 300 cut short)", got, ok)
	}
	for id, n := range rec.ids {
		if n != 1 {
			t.Errorf("span id %x sent %d times: batches reuse their spans but never their ids", id, n)
			break
		}
	}
	for _, n := range rec.batches {
		if n != 100 {
			t.Errorf("a batch of %d spans, want 100", n)
			break
		}
	}
	if len(rec.bad) > 0 {
		t.Errorf("%d spans are not recent chat calls with usage, first: %s", len(rec.bad), rec.bad[0])
	}
}

func TestLoadRefusesNoRate(t *testing.T) {
	if _, err := Start(context.Background(), Options{Endpoint: "127.0.0.1:1"}); err == nil {
		t.Fatal("Start with rate 0: no error")
	}
}

func TestSpansAreChatCalls(t *testing.T) {
	rs := Spans(3, time.Now())
	spans := rs[0].ScopeSpans[0].Spans
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	seen := map[string]bool{}
	for _, s := range spans {
		if len(s.TraceId) != 16 || len(s.SpanId) != 8 {
			t.Fatalf("ids of %d and %d bytes", len(s.TraceId), len(s.SpanId))
		}
		if seen[string(s.SpanId)] {
			t.Fatal("two spans share an id")
		}
		seen[string(s.SpanId)] = true
		if s.Name != "chat "+Model {
			t.Errorf("name %q", s.Name)
		}
	}
}
