package instrumentation

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// memTransport answers every request with a fresh response whose body is
// built by body, without a network.
type memTransport struct {
	status int
	header http.Header
	body   func() io.ReadCloser
}

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	status := m.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: m.header.Clone(), Body: m.body(), ContentLength: -1, Request: req,
	}, nil
}

// failingBody yields data, then err instead of EOF; it counts Close calls.
type failingBody struct {
	r      io.Reader
	err    error
	closed atomic.Int32
}

func (b *failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.err
	}
	return n, err
}

func (b *failingBody) Close() error { b.closed.Add(1); return errors.New("close failed") }

func groqRequest(t testing.TB, ctx context.Context) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.groq.com/openai/v1/chat/completions",
		strings.NewReader(`{"model":"llama-3.1-8b-instant","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestBodyEndsSpanOnce ends a streamed body every way it can end and checks
// that the app sees what the base body says and the span ends exactly once.
func TestBodyEndsSpanOnce(t *testing.T) {
	stream := readTestdata(t, "groq_stream.sse")
	readErr := errors.New("connection reset by peer")
	tests := []struct {
		name string
		// use reads from resp and closes it as an app would, returning what it read and the errors it saw.
		use          func(resp *http.Response) (read []byte, readErr, closeErr error)
		baseErr      error
		wantRead     []byte
		wantReadErr  error
		wantErrType  string
		wantComplete bool
	}{{
		name: "read to EOF then close",
		use: func(resp *http.Response) ([]byte, error, error) {
			b, err := io.ReadAll(resp.Body)
			return b, err, resp.Body.Close()
		},
		wantRead: stream, wantComplete: true,
	}, {
		name: "close before EOF",
		use: func(resp *http.Response) ([]byte, error, error) {
			b := make([]byte, 40)
			n, err := io.ReadFull(resp.Body, b)
			return b[:n], err, resp.Body.Close()
		},
		wantRead: stream[:40],
	}, {
		name: "read error mid-stream",
		use: func(resp *http.Response) ([]byte, error, error) {
			b, err := io.ReadAll(resp.Body)
			return b, err, resp.Body.Close()
		},
		baseErr: readErr, wantRead: stream, wantReadErr: readErr, wantErrType: "_OTHER",
	}, {
		name: "unexpected EOF",
		use: func(resp *http.Response) ([]byte, error, error) {
			b, err := io.ReadAll(resp.Body)
			return b, err, resp.Body.Close()
		},
		baseErr: io.ErrUnexpectedEOF, wantRead: stream, wantReadErr: io.ErrUnexpectedEOF, wantErrType: "unexpected_eof",
	}, {
		name: "io.Copy through WriteTo",
		use: func(resp *http.Response) ([]byte, error, error) {
			var buf bytes.Buffer
			_, err := io.Copy(&buf, resp.Body)
			return buf.Bytes(), err, resp.Body.Close()
		},
		wantRead: stream, wantComplete: true,
	}, {
		name: "close twice",
		use: func(resp *http.Response) ([]byte, error, error) {
			_ = resp.Body.Close()
			return nil, nil, resp.Body.Close()
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			var bodies []*failingBody
			base := memTransport{header: http.Header{"Content-Type": {"text/event-stream"}}, body: func() io.ReadCloser {
				err := tt.baseErr
				if err == nil {
					err = io.EOF
				}
				b := &failingBody{r: bytes.NewReader(stream), err: err}
				bodies = append(bodies, b)
				return b
			}}
			// The same use through the bare transport is what the app must see.
			bareResp, _ := base.RoundTrip(groqRequest(t, context.Background()))
			bareRead, bareReadErr, bareCloseErr := tt.use(bareResp)

			resp, err := h.inst.Transport(base).RoundTrip(groqRequest(t, context.Background()))
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			read, rerr, cerr := tt.use(resp)
			if !bytes.Equal(read, bareRead) || !bytes.Equal(read, tt.wantRead) {
				t.Errorf("app read %q, want %q", read, bareRead)
			}
			if rerr != bareReadErr || rerr != tt.wantReadErr {
				t.Errorf("read error %v, want %v (bare %v)", rerr, tt.wantReadErr, bareReadErr)
			}
			if cerr == nil || bareCloseErr == nil || cerr.Error() != bareCloseErr.Error() {
				t.Errorf("close error %v, want %v", cerr, bareCloseErr)
			}
			s := h.span(t) // exactly one
			got := attrs(s)
			if v := got[semconv.ErrorType]; tt.wantErrType != "" && v.AsString() != tt.wantErrType {
				t.Errorf("error.type %q, want %q", v.AsString(), tt.wantErrType)
			}
			if tt.wantComplete {
				wantAttrs(t, got, map[attribute.Key]any{semconv.ErrorType: nil, semconv.GenAIUsageInputTokens: 42})
			}
			if n := durationCount(t, h); n != 1 {
				t.Errorf("duration points count %d, want 1", n)
			}
			if c := bodies[1].closed.Load(); c < 1 {
				t.Errorf("base body closed %d times, want at least once", c)
			}
		})
	}
}

func durationCount(t *testing.T, h *harness) uint64 {
	d, _ := h.metrics(t)[semconv.MetricOperationDuration].Data.(metricdata.Histogram[float64])
	var n uint64
	for _, dp := range d.DataPoints {
		n += dp.Count
	}
	return n
}

// TestContextCancel cancels the request context mid-stream over real HTTP:
// the app sees the same error as with the bare transport and the span ends
// once with error.type canceled, whether or not the app reads again.
func TestContextCancel(t *testing.T) {
	first := "data: {\"id\":\"c1\",\"model\":\"llama-3.1-8b-instant\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, first)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the rest never comes
	}))
	defer srv.Close()
	for _, readAgain := range []bool{true, false} {
		name := map[bool]string{true: "app reads after cancel", false: "app walks away"}[readAgain]
		t.Run(name, func(t *testing.T) {
			run := func(rt http.RoundTripper) (string, error) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req := groqRequest(t, ctx)
				req.URL.Scheme, req.URL.Host = "http", hostOf(t, srv.URL)
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatalf("RoundTrip: %v", err)
				}
				buf := make([]byte, len(first))
				if _, err := io.ReadFull(resp.Body, buf); err != nil {
					t.Fatalf("first chunk: %v", err)
				}
				cancel()
				if !readAgain {
					return string(buf), nil
				}
				_, err = resp.Body.Read(make([]byte, 64))
				_ = resp.Body.Close()
				return string(buf), err
			}
			h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
			bareRead, bareErr := run(http.DefaultTransport)
			read, err := run(h.inst.Transport(nil))
			if read != bareRead || !sameError(err, bareErr) {
				t.Errorf("app got %q, %v; bare transport %q, %v", read, err, bareRead, bareErr)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(h.spans.GetSpans()) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			s := h.span(t)
			if v := attrs(s)[semconv.ErrorType]; v.AsString() != "canceled" {
				t.Errorf("error.type %q, want canceled", v.AsString())
			}
			if n := durationCount(t, h); n != 1 {
				t.Errorf("duration count %d, want 1", n)
			}
		})
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// TestWriteToObserved copies a body whose base implements io.WriterTo: the
// copy keeps using it, and the bytes it writes are still parsed.
func TestWriteToObserved(t *testing.T) {
	stream := readTestdata(t, "groq_stream.sse")
	h := newHarness(t)
	base := memTransport{header: http.Header{"Content-Type": {"text/event-stream"}}, body: func() io.ReadCloser {
		return io.NopCloser(bytes.NewReader(stream)) // NopCloser keeps bytes.Reader's WriteTo
	}}
	resp, err := h.inst.Transport(base).RoundTrip(groqRequest(t, context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := resp.Body.(io.WriterTo); !ok {
		t.Fatal("wrapped body lost io.WriterTo")
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, resp.Body)
	if err != nil || n != int64(len(stream)) || !bytes.Equal(buf.Bytes(), stream) {
		t.Fatalf("copied %d bytes, %v; want %d bytes, nil", n, err, len(stream))
	}
	_ = resp.Body.Close()
	wantAttrs(t, attrs(h.span(t)), map[attribute.Key]any{
		semconv.GenAIUsageInputTokens:  42,
		semconv.GenAIUsageOutputTokens: 9,
		semconv.ErrorType:              nil,
	})
}
