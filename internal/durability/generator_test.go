package durability

import (
	"context"
	"encoding/hex"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// refusingReceiver is an OTLP/gRPC trace receiver that refuses every third export
// with a retryable UNAVAILABLE and remembers the spans of the exports it accepted.
type refusingReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu       sync.Mutex
	exports  int
	accepted []string // span ids, hex
	bytes    int      // protobuf bytes of the accepted requests
	spans    int
	attrs    map[string]bool // attribute keys seen on spans
}

func (r *refusingReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exports++
	if r.exports%3 == 0 {
		return nil, status.Error(codes.Unavailable, "try again")
	}
	r.bytes += proto.Size(req)
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.accepted = append(r.accepted, hex.EncodeToString(s.GetSpanId()))
				r.spans++
				for _, kv := range s.GetAttributes() {
					r.attrs[kv.GetKey()] = true
				}
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// TestGeneratorRemembersWhatWasAcknowledged checks the generator against a receiver
// that refuses a third of the exports: the span ids it reports acknowledged are
// exactly those the receiver accepted (refused exports are retried, not counted), the
// refusals are counted, and the spans carry the instrumentation's attributes.
func TestGeneratorRemembersWhatWasAcknowledged(t *testing.T) {
	recv := &refusingReceiver{attrs: map[string]bool{}}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, recv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	gen, err := Start(context.Background(), Options{Endpoint: ln.Addr().String(), Rate: 2000, Streams: 2, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gen.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	st := gen.Stats()
	acked := gen.Acknowledged()
	recv.mu.Lock()
	defer recv.mu.Unlock()
	slices.Sort(acked)
	slices.Sort(recv.accepted)
	if !slices.Equal(acked, recv.accepted) {
		t.Errorf("generator says %d spans acknowledged, the receiver accepted %d", len(acked), len(recv.accepted))
	}
	if st.Recorded != st.Acknowledged || st.Failed != 0 || st.Recorded < 500 {
		t.Errorf("recorded %d, acknowledged %d, failed %d: every span should be acknowledged after retries", st.Recorded, st.Acknowledged, st.Failed)
	}
	if st.Attempts[codes.Unavailable] == 0 || st.Attempts[codes.OK] != int64(recv.exports)-st.Attempts[codes.Unavailable] {
		t.Errorf("attempts %v; the receiver saw %d exports", st.Attempts, recv.exports)
	}
	for _, key := range []string{string(semconv.GenAIProviderName), string(semconv.GenAIUsageInputTokens),
		string(semconv.UserID), string(semconv.CostStatus), string(semconv.RateLimitRequestsRemaining)} {
		if !recv.attrs[key] {
			t.Errorf("no span carried %s; attributes seen: %s", key, strings.Join(slices.Sorted(maps.Keys(recv.attrs)), ", "))
		}
	}
	t.Logf("%d spans, %d B of OTLP protobuf each on average", recv.spans, recv.bytes/max(recv.spans, 1))
}
