package instrumentation

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestConcurrentCalls shares one transport between goroutines: every call
// gets its span and its tokens (run with -race).
func TestConcurrentCalls(t *testing.T) {
	srv := providerServer(t, map[string]reply{"/openai/v1/chat/completions": {
		file: "groq_stream.sse", header: withContentType(groqHeaders, "text/event-stream"), chunkSep: "\n\n"}})
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
	client := newGroqHTTPClient(h)
	const calls = 24
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			postChat(t, client, srv.URL+"/openai/v1/chat/completions", `{"model":"llama-3.1-8b-instant","stream":true}`)
		}()
	}
	wg.Wait()
	if n := len(h.spans.GetSpans()); n != calls {
		t.Fatalf("spans = %d, want %d", n, calls)
	}
	tu, _ := h.metrics(t)[semconv.MetricTokenUsage].Data.(metricdata.Histogram[int64])
	var in int64
	for _, dp := range tu.DataPoints {
		if v, _ := dp.Attributes.Value(semconv.GenAITokenType); v.AsString() == semconv.TokenTypeInput {
			in += dp.Sum
		}
	}
	if in != calls*42 {
		t.Errorf("input tokens %d, want %d", in, calls*42)
	}
}

// TestCloseDuringRead closes the body from another goroutine while a Read
// is blocked waiting for the server, the usual way to abort a stream.
func TestCloseDuringRead(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"id\":\"c1\",\"model\":\"llama-3.1-8b-instant\",\"choices\":[]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
	req := groqRequest(t, context.Background())
	req.URL.Scheme, req.URL.Host = "http", hostOf(t, srv.URL)
	resp, err := h.inst.Transport(nil).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error)
	go func() {
		_, err := io.ReadAll(resp.Body) // blocks after the first event
		read <- err
	}()
	// Close once the first event has been observed, i.e. the reader is in flight.
	a := resp.Body.(*attempt)
	for {
		a.mu.Lock()
		started := a.call.TimeToFirstChunk > 0
		a.mu.Unlock()
		if started {
			break
		}
		runtime.Gosched()
	}
	_ = resp.Body.Close()
	if err := <-read; err == nil {
		t.Errorf("read after close returned no error")
	}
	if n := len(h.spans.GetSpans()); n != 1 {
		t.Errorf("spans = %d, want 1", n)
	}
}
