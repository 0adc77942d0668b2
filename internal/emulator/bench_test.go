package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/emulator"
)

// The benchmarks compare a call through the emulator's handler with a baseline handler that
// writes the very bytes the emulator wrote (same headers, same chunks, a flush per chunk),
// so the difference is the emulator's own work: parsing, quota, planning and encoding.

// A non-streaming voice command: 7 prompt tokens, an 11-token reply.
func BenchmarkGroqChat(b *testing.B) {
	benchAgainstBaseline(b, "/openai/v1/chat/completions",
		`{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"Turn on the kitchen lights"}]}`, "")
}

// A 100-chunk stream: the role chunk, 98 one-token chunks, the usage chunk (then [DONE]).
// A 180-token prompt gets a reply of 8 + 180/2 = 98 tokens.
func BenchmarkGroqStream100(b *testing.B) {
	benchAgainstBaseline(b, "/openai/v1/chat/completions",
		`{"model":"llama-3.1-8b-instant","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"`+
			strings.Repeat("abcd", 180)+`"}]}`,
		"\n\n")
}

func benchAgainstBaseline(b *testing.B, path, body, eventSep string) {
	emu, err := emulator.New(emulator.Config{GroqLimits: emulator.GroqLimits{RequestsPerDay: 1_000_000_000, TokensPerMinute: 1_000_000_000}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu.GroqHandler())
	defer srv.Close()
	status, header, recorded := benchCall(b, srv.URL+path, body)
	if status != http.StatusOK {
		b.Fatalf("status %d: %s", status, recorded)
	}
	chunks := [][]byte{recorded}
	if eventSep != "" {
		chunks = bytes.SplitAfter(recorded, []byte(eventSep))
		if len(chunks[len(chunks)-1]) == 0 {
			chunks = chunks[:len(chunks)-1]
		}
		if n := len(chunks) - 1; n != 100 { // without [DONE]
			b.Fatalf("%d chunks, want 100", n)
		}
	}
	baseline := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) //nolint:errcheck // a benchmark's request
		for k, v := range header {
			if k != "Date" {
				w.Header()[k] = v
			}
		}
		rc := http.NewResponseController(w)
		for _, c := range chunks {
			w.Write(c) //nolint:errcheck // the client reads everything
			if eventSep != "" {
				rc.Flush() //nolint:errcheck
			}
		}
	}))
	defer baseline.Close()

	// Interleaving the two calls in one loop exposes both to the same noise from other
	// processes, so their ratio holds even when the absolute times do not.
	b.Run("interleaved", func(b *testing.B) {
		var base, emu time.Duration
		for b.Loop() {
			t0 := time.Now()
			benchCall(b, baseline.URL+path, body)
			t1 := time.Now()
			benchCall(b, srv.URL+path, body)
			base, emu = base+t1.Sub(t0), emu+time.Since(t1)
		}
		b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "baseline-ns/op")
		b.ReportMetric(float64(emu.Nanoseconds())/float64(b.N), "emulator-ns/op")
		b.ReportMetric(float64(emu)/float64(base), "emulator/baseline")
	})
	for _, s := range []struct {
		name string
		url  string
	}{{"baseline", baseline.URL + path}, {"emulator", srv.URL + path}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if status, _, got := benchCall(b, s.url, body); status != http.StatusOK || len(got) < len(recorded)/2 {
					b.Fatalf("status %d, %d bytes", status, len(got))
				}
			}
		})
	}
}

// benchClient does not ask for gzip: the baseline replays plain bytes, so both sides skip
// compression.
var benchClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func benchCall(b *testing.B, url, body string) (int, http.Header, []byte) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return resp.StatusCode, resp.Header, got
}
