package instrumentation

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// chunkedReader hands out data at most size bytes per Read, as a network does.
type chunkedReader struct {
	data []byte
	size int
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *chunkedReader) Close() error { return nil }

// fuzzRoutes are the recorded endpoints a fuzzed body is served from.
var fuzzRoutes = []struct{ url, contentType string }{
	{"https://api.groq.com/openai/v1/chat/completions", "application/json"},
	{"https://api.groq.com/openai/v1/chat/completions", "text/event-stream"},
	{"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", "application/json"},
	{"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "text/event-stream"},
	{"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent", "application/json"},
	{"https://generativelanguage.googleapis.com/v1beta/openai/chat/completions", "text/event-stream"},
}

// FuzzTransport serves random bodies in random chunkings for each dialect and
// status: the app must read exactly the base transport's bytes, one span must
// end, and nothing may panic.
func FuzzTransport(f *testing.F) {
	for i, name := range []string{"groq_chat.json", "groq_stream.sse", "gemini_generate.json", "gemini_stream.sse", "gemini_stream_array.json", "groq_stream_error.sse"} {
		f.Add(uint8(i), uint16(200), uint8(7), uint8(0), readTestdata(f, name))
	}
	f.Add(uint8(0), uint16(429), uint8(3), uint8(0), readTestdata(f, "groq_429.json"))
	f.Add(uint8(2), uint16(429), uint8(64), uint8(1), readTestdata(f, "gemini_429.json"))
	f.Add(uint8(1), uint16(200), uint8(1), uint8(2), []byte("data: {\"usage\":{\"prompt_tokens\":1}}\n\nevent: error\ndata: {"))
	f.Fuzz(func(t *testing.T, route uint8, status uint16, chunk uint8, how uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		code := 100 + int(status)%500
		if code < 200 {
			code += 100
		}
		base := memTransport{status: code, header: http.Header{"Content-Type": {r.contentType}}, body: func() io.ReadCloser {
			return &chunkedReader{data: body, size: 1 + int(chunk)%97}
		}}
		h := newHarness(t)
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, r.url,
			strings.NewReader(`{"model":"openai/gpt-oss-20b","stream":true,"messages":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := h.inst.Transport(base).RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		var got []byte
		switch how % 3 {
		case 0: // read everything
			got, err = io.ReadAll(resp.Body)
		case 1: // io.Copy, through WriteTo
			var buf bytes.Buffer
			_, err = io.Copy(&buf, resp.Body)
			got = buf.Bytes()
		case 2: // tiny reads, then stop halfway
			small := make([]byte, 3)
			for len(got) < len(body)/2 {
				n, rerr := resp.Body.Read(small)
				got = append(got, small[:n]...)
				if rerr != nil {
					err = rerr
					break
				}
			}
		}
		if err != nil && err != io.EOF {
			t.Fatalf("read: %v", err)
		}
		_ = resp.Body.Close()
		_ = resp.Body.Close()
		want := body
		if how%3 == 2 {
			want = body[:len(got)]
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("app read %q, base sent %q", got, want)
		}
		if n := len(h.spans.GetSpans()); n != 1 {
			t.Fatalf("ended spans = %d, want 1", n)
		}
	})
}
