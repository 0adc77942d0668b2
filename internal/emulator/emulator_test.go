package emulator_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/internal/emulator"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start is 10:00 Pacific standard time.
var start = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

// env is one emulator behind two test servers, with SDK clients for both.
type env struct {
	clock  *clock
	groq   *httptest.Server
	gemini *httptest.Server
}

func newEnv(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	c := newClock(start)
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	emu, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{clock: c, groq: httptest.NewServer(emu.GroqHandler()), gemini: httptest.NewServer(emu.GeminiHandler())}
	t.Cleanup(e.groq.Close)
	t.Cleanup(e.gemini.Close)
	return e
}

// groqClient is openai-go pointed at the Groq emulator, without retries so 429s surface.
func (e *env) groqClient() openai.Client {
	return openai.NewClient(option.WithBaseURL(e.groq.URL+"/openai/v1"), option.WithAPIKey("gsk_test"), option.WithMaxRetries(0))
}

// geminiOpenAIClient is openai-go pointed at Gemini's OpenAI-compatible endpoint.
func (e *env) geminiOpenAIClient() openai.Client {
	return openai.NewClient(option.WithBaseURL(e.gemini.URL+"/v1beta/openai"), option.WithAPIKey("gemini_test"), option.WithMaxRetries(0))
}

func (e *env) geminiClient(t *testing.T) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "gemini_test",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: e.gemini.URL},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

// post sends body to url with the given headers and returns status, headers and body.
func post(t *testing.T, url, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestConfigValidateNamesEveryBadField(t *testing.T) {
	cfg := emulator.Config{
		ChunkDelay:        -time.Second,
		GroqLimits:        emulator.GroqLimits{RequestsPerDay: -1},
		GeminiModelLimits: map[string]emulator.GeminiLimits{"gemini-2.5-flash": {TokensPerMinute: -5}},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, want := range []string{"ChunkDelay", "GroqLimits.RequestsPerDay", `GeminiModelLimits["gemini-2.5-flash"].TokensPerMinute`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := emulator.New(cfg); err == nil {
		t.Error("New accepted a bad config")
	}
	if err := (emulator.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

func TestCountTokens(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"abcd", 1},
		{"abcde", 2},
		{"Turn on the kitchen lights", 7}, // 26 characters
		{"héllo wörld", 3},                // 11 runes, 13 bytes
	} {
		if got := emulator.CountTokens(tc.text); got != tc.want {
			t.Errorf("CountTokens(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestStartServesBothProvidersOnLoopback(t *testing.T) {
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := emu.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	if !strings.HasPrefix(s.GroqURL, "http://127.0.0.1:") || !strings.HasPrefix(s.GeminiURL, "http://127.0.0.1:") || s.GroqURL == s.GeminiURL {
		t.Fatalf("URLs %q and %q", s.GroqURL, s.GeminiURL)
	}
	status, _, _ := post(t, s.GroqURL+"/openai/v1/chat/completions", `{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer k"})
	if status != http.StatusOK {
		t.Errorf("groq status %d", status)
	}
	status, _, _ = post(t, s.GeminiURL+"/v1beta/models/gemini-2.0-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`,
		map[string]string{"x-goog-api-key": "k"})
	if status != http.StatusOK {
		t.Errorf("gemini status %d", status)
	}
	if _, err := emu.Start(strings.TrimPrefix(s.GroqURL, "http://"), "127.0.0.1:0"); err == nil {
		t.Error("Start on a busy address succeeded")
	}
}

// With a chunk delay far longer than any test, the first chunk still arrives (each chunk is
// flushed as written) and a client that leaves ends the stream: closing the servers, which
// waits for open handlers, returns instead of hanging.
func TestStreamsFlushEachChunkAndStopWhenClientLeaves(t *testing.T) {
	e := newEnv(t, emulator.Config{ChunkDelay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	client := e.groqClient()
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "llama-3.1-8b-instant",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Turn on the kitchen lights")},
	})
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	if got := stream.Current().Choices[0].Delta.Role; got != "assistant" {
		t.Errorf("first chunk role %q", got)
	}
	gemini := e.geminiClient(t)
	for r, err := range gemini.Models.GenerateContentStream(ctx, "gemini-2.0-flash", genai.Text(strings.Repeat("abcd", 40)), nil) {
		if err != nil || r.Text() == "" {
			t.Fatalf("first gemini chunk %v: %v", r, err)
		}
		break
	}
	cancel()
	stream.Close()
	e.groq.Close()
	e.gemini.Close()
}

// Like the real APIs, JSON answers are gzip-encoded for a client that asks; a caller that
// sets Accept-Encoding itself gets the raw gzip bytes.
func TestAnswersAreGzipEncodedWhenAsked(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for _, tc := range []struct {
		name, url, body string
		header          map[string]string
	}{
		{"groq", e.groq.URL + "/openai/v1/chat/completions", `{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"Authorization": "Bearer k", "Accept-Encoding": "gzip"}},
		{"gemini", e.gemini.URL + "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`,
			map[string]string{"x-goog-api-key": "k", "Accept-Encoding": "gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := post(t, tc.url, tc.body, tc.header)
			if status != http.StatusOK || h.Get("Content-Encoding") != "gzip" {
				t.Fatalf("status %d Content-Encoding %q", status, h.Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !json.Valid(plain) || !bytes.Contains(plain, []byte("sage")) { // usage / usageMetadata
				t.Errorf("gunzipped body %q: %v", plain, err)
			}
		})
	}
}
