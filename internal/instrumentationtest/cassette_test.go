package instrumentationtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/cassette"
)

// cassettes returns the shared recordings, skipping the test where they are absent.
func cassettes(t *testing.T) (dir string, files []string) {
	t.Helper()
	dir, ok := cassette.Dir()
	if !ok {
		t.Skip("no ../shared/fixtures/cassettes beside the repository")
	}
	files, err := cassette.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no cassettes in %s", dir)
	}
	return dir, files
}

// handRead is what a recorded response says, read off the cassette file by hand.
type handRead struct {
	model, id string
	finish    []string
	// in, out, cached, reasoning are the billed token counts; noUsage: none at all.
	in, out, cached, reasoning int64
	noUsage                    bool
	errorCode, message         string // a provider error: its code and text
}

// attrs are the span attributes h says the call gets.
func (h handRead) attrs() map[attribute.Key]any {
	want := map[attribute.Key]any{semconv.GenAIResponseModel: nil, semconv.GenAIResponseID: nil, semconv.ErrorCode: nil}
	if h.model != "" {
		want[semconv.GenAIResponseModel] = h.model
		want[semconv.GenAIResponseID] = h.id
		want[semconv.GenAIResponseFinishReasons] = h.finish
	}
	for k, v := range map[attribute.Key]int64{
		semconv.GenAIUsageInputTokens:     h.in,
		semconv.GenAIUsageOutputTokens:    h.out,
		semconv.GenAIUsageCacheReadInput:  h.cached,
		semconv.GenAIUsageReasoningOutput: h.reasoning,
	} {
		if h.noUsage {
			want[k] = nil
		} else {
			want[k] = v
		}
	}
	if h.errorCode != "" {
		want[semconv.ErrorCode] = h.errorCode
	}
	return want
}

// byHand holds every recording's responses as read by hand: the numbers in the files.
var byHand = func() map[string][]handRead {
	groqJoke := func(id string, completion int64) handRead {
		return handRead{model: "llama3-8b-8192", id: id, finish: []string{"stop"}, in: 18, out: completion} // total 18 + completion
	}
	return map[string][]handRead{
		"groq/openllmetry__groq_chat_nonstream_x6.yaml": {
			groqJoke("chatcmpl-645691ff-34af-4d0f-a1c1-fe888f8685cc", 43),
			groqJoke("chatcmpl-905402a5-a51c-4590-962e-a47450b6f5dc", 76),
			groqJoke("chatcmpl-33207e29-68cf-4548-bcb0-831e3278ccd7", 67),
			groqJoke("chatcmpl-38b5a5b7-3202-42bd-845a-87be16c3d146", 43),
			groqJoke("chatcmpl-09be22f3-a982-4850-8e0d-c26dfb96949d", 26),
			groqJoke("chatcmpl-80a4515d-c363-4fdd-b52c-7d616c16afe8", 52),
		},
		// 74 data events and [DONE]; usage only in the last event's x_groq.usage (total 91).
		"groq/openllmetry__groq_chat_stream.yaml": {{
			model: "llama3-8b-8192", id: "chatcmpl-532a6640-2e18-4a4c-8406-8437a857ce48", finish: []string{"stop"},
			in: 18, out: 73,
		}},
		"groq/pydanticai__groq_http400_tool_use_failed.yaml": {
			{noUsage: true, errorCode: "tool_use_failed", // type invalid_request_error
				message: "Tool call validation failed: tool call validation failed: parameters for tool get_something_by_name did not match schema: errors: [missing properties: 'name', additionalProperties 'foo' not allowed]"},
			{model: "openai/gpt-oss-120b", id: "chatcmpl-b089cbdd-ca65-41a1-9409-639d476f87c0", finish: []string{"tool_calls"},
				in: 301, out: 52, reasoning: 22}, // total 353
			{model: "openai/gpt-oss-120b", id: "chatcmpl-c7c67aaa-6e09-4a05-a43c-664a9db28d52", finish: []string{"stop"},
				in: 336, out: 96, cached: 256, reasoning: 59}, // total 432
		},
		// 877 candidates + 1058 thoughts are billed output; prompt 5; total 1940.
		"gemini/openllmetry__gemini25flash_nonstream_thoughts.yaml": {{
			model: "gemini-2.5-flash", id: "-hk4afOSMZKkjuMPnJWGkAk", finish: []string{"STOP"},
			in: 5, out: 877 + 1058, reasoning: 1058,
		}},
		// Three SSE chunks. Prompt 15, 15, then 13 with 8 candidates: the last counts, not a sum.
		"gemini/pydanticai__gemini20flashexp_stream_cumulative_usage.yaml": {{
			model: "gemini-2.0-flash-exp", id: "w1peaMz6INOvnvgPgYfPiQY", finish: []string{"STOP"},
			in: 13, out: 8,
		}},
	}
}()

// readings are the ways the app reads a body: the parser sees each Read's bytes
// as one write, so the span must not depend on which.
var readings = []struct {
	name string
	read func(io.Reader) ([]byte, error)
}{
	{"whole", io.ReadAll},
	{"byte by byte", func(r io.Reader) ([]byte, error) { return io.ReadAll(iotest.OneByteReader(r)) }},
	{"random pieces", func(r io.Reader) ([]byte, error) {
		rnd := rand.New(rand.NewSource(7))
		var out []byte
		for {
			p := make([]byte, 1+rnd.Intn(64))
			n, err := r.Read(p)
			out = append(out, p[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
		}
	}},
}

// TestCassetteReplay replays every recorded provider exchange through the
// transport, reading each body in several ways, and checks each span against two
// readings of the recording made without the library's parser: the attributes
// decoded here with encoding/json from its status, headers and body (recorded),
// and the values read off the file by hand (byHand).
func TestCassetteReplay(t *testing.T) {
	dir, files := cassettes(t)
	for _, path := range files {
		c, err := cassette.Load(path)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		hand, ok := byHand[rel]
		if !ok {
			t.Fatalf("no expectations for cassette %s", rel)
		}
		if len(hand) != len(c.Interactions) {
			t.Fatalf("%s: %d interactions, expectations for %d", rel, len(c.Interactions), len(hand))
		}
		for _, how := range readings {
			t.Run(rel+"/"+how.name, func(t *testing.T) {
				h := newHarness(t, instrumentation.WithContent())
				client := &http.Client{Transport: h.inst.Transport(c.Transport())}
				for n, it := range c.Interactions {
					req, err := http.NewRequestWithContext(context.Background(), it.Request.Method, it.Request.URI, bytes.NewReader(it.Request.Body))
					if err != nil {
						t.Fatalf("interaction %d: %v", n, err)
					}
					req.Header = it.Request.Header.Clone()
					resp, err := client.Do(req)
					if err != nil {
						t.Fatalf("interaction %d: %v", n, err)
					}
					got, err := how.read(resp.Body)
					_ = resp.Body.Close()
					if err != nil {
						t.Fatalf("interaction %d: read: %v", n, err)
					}
					if !bytes.Equal(got, it.Response.Body) {
						t.Errorf("interaction %d: app read %d bytes, recording has %d", n, len(got), len(it.Response.Body))
					}
				}
				spans := h.spans.GetSpans()
				if len(spans) != len(c.Interactions) {
					t.Fatalf("spans = %d, want one per interaction (%d)", len(spans), len(c.Interactions))
				}
				for n, it := range c.Interactions {
					got := attrs(spans[n])
					wantAttrs(t, got, recorded(t, it))
					wantAttrs(t, got, hand[n].attrs())
					if m := hand[n].message; m != "" && (spans[n].Status.Code != codes.Error || spans[n].Status.Description != m) {
						t.Errorf("interaction %d: status %v %q, want the provider's message", n, spans[n].Status.Code, spans[n].Status.Description)
					}
				}
			})
		}
	}
}

// recorded derives the attributes a recorded exchange must produce from the
// recording: its status, Groq quota headers, and the usage in its body.
func recorded(t *testing.T, it cassette.Interaction) map[attribute.Key]any {
	t.Helper()
	r := it.Response
	want := map[attribute.Key]any{semconv.HTTPResponseStatusCode: r.Status}
	for key, header := range map[attribute.Key]string{
		semconv.RateLimitRequestsLimit:     "x-ratelimit-limit-requests",
		semconv.RateLimitRequestsRemaining: "x-ratelimit-remaining-requests",
		semconv.RateLimitTokensLimit:       "x-ratelimit-limit-tokens",
		semconv.RateLimitTokensRemaining:   "x-ratelimit-remaining-tokens",
	} {
		if v := r.Header.Get(header); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("recorded %s: %v", header, err)
			}
			want[key] = n
		}
	}
	for key, header := range map[attribute.Key]string{
		semconv.RateLimitRequestsReset: "x-ratelimit-reset-requests",
		semconv.RateLimitTokensReset:   "x-ratelimit-reset-tokens",
	} {
		if v := r.Header.Get(header); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("recorded %s: %v", header, err)
			}
			want[key] = d.Seconds()
		}
	}
	if r.Status >= 400 {
		want[semconv.ErrorType] = strconv.Itoa(r.Status)
		want[semconv.GenAIUsageInputTokens] = nil
		return want
	}
	body, err := r.Decoded()
	if err != nil {
		t.Fatalf("decode recorded body: %v", err)
	}
	var docs []map[string]any
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("data:")) {
		for _, line := range strings.Split(string(body), "\n") {
			data, ok := strings.CutPrefix(strings.TrimSpace(line), "data:")
			if !ok || strings.TrimSpace(data) == "[DONE]" {
				continue
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				t.Fatalf("recorded event: %v", err)
			}
			docs = append(docs, d)
		}
	} else {
		var d map[string]any
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("recorded body: %v", err)
		}
		docs = append(docs, d)
	}
	// The last document carrying counts has the call's usage; models are on every one.
	for _, d := range docs {
		if m, ok := d["model"].(string); ok {
			want[semconv.GenAIResponseModel] = m
		}
		if m, ok := d["modelVersion"].(string); ok {
			want[semconv.GenAIResponseModel] = m
		}
		u, _ := d["usage"].(map[string]any)
		if xg, ok := d["x_groq"].(map[string]any); ok && u == nil {
			u, _ = xg["usage"].(map[string]any)
		}
		if u != nil {
			want[semconv.GenAIUsageInputTokens] = num(u["prompt_tokens"])
			want[semconv.GenAIUsageOutputTokens] = num(u["completion_tokens"])
			ptd, _ := u["prompt_tokens_details"].(map[string]any)
			want[semconv.GenAIUsageCacheReadInput] = num(ptd["cached_tokens"])
			ctd, _ := u["completion_tokens_details"].(map[string]any)
			want[semconv.GenAIUsageReasoningOutput] = num(ctd["reasoning_tokens"])
		}
		if g, ok := d["usageMetadata"].(map[string]any); ok && g["promptTokenCount"] != nil {
			want[semconv.GenAIUsageInputTokens] = num(g["promptTokenCount"]) + num(g["toolUsePromptTokenCount"])
			want[semconv.GenAIUsageOutputTokens] = num(g["candidatesTokenCount"]) + num(g["thoughtsTokenCount"])
			want[semconv.GenAIUsageCacheReadInput] = num(g["cachedContentTokenCount"])
			want[semconv.GenAIUsageReasoningOutput] = num(g["thoughtsTokenCount"])
		}
	}
	return want
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// TestRecordedGroqHeaders replays every recorded Groq response that kept its
// rate-limit headers: each span must carry a full reading with sane values, and
// the quota state must end up holding the last one.
func TestRecordedGroqHeaders(t *testing.T) {
	dir, _ := cassettes(t)
	files, err := filepath.Glob(filepath.Join(dir, "groq", "openllmetry__*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Groq recordings with rate-limit headers in %s: %v", dir, err)
	}
	readings := 0
	for _, f := range files {
		c, err := cassette.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t)
		client := &http.Client{Transport: h.inst.Transport(c.Transport())}
		for n, it := range c.Interactions {
			resp, err := client.Post(it.Request.URI, "application/json", bytes.NewReader(it.Request.Body))
			if err != nil {
				t.Fatalf("%s #%d: %v", c.Name, n, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		var last rateLimitReading
		for n, s := range h.spans.GetSpans() {
			r, ok := rateLimitOf(attrs(s))
			if !ok {
				t.Errorf("%s #%d: incomplete reading in %v", c.Name, n, s.Attributes)
				continue
			}
			if r.requestsRemaining > r.requestsLimit || r.tokensRemaining > r.tokensLimit ||
				r.requestsReset <= 0 || r.requestsReset > 24*time.Hour.Seconds() || r.tokensReset <= 0 || r.tokensReset > time.Minute.Seconds() {
				t.Errorf("%s #%d: implausible reading %+v", c.Name, n, r)
			}
			last = r
			readings++
		}
		states := h.inst.Quota()
		if len(states) != 2 || states[0].Limit != last.requestsLimit || states[0].Remaining != last.requestsRemaining ||
			states[1].Limit != last.tokensLimit || states[1].Remaining != last.tokensRemaining {
			t.Errorf("%s: states %+v do not hold the last reading %+v", c.Name, states, last)
		}
		if strings.HasSuffix(c.Name, "groq_chat_stream") {
			// The stream recording's values, read off the file: a 6000 tokens/min account.
			want := rateLimitReading{requestsLimit: 14400, requestsRemaining: 14399, requestsReset: 6,
				tokensLimit: 6000, tokensRemaining: 5987, tokensReset: 0.13}
			if last != want {
				t.Errorf("%s: %+v, want %+v", c.Name, last, want)
			}
		}
	}
	if readings < 7 {
		t.Errorf("read %d responses with rate-limit headers, want the 7 recorded", readings)
	}
}

// rateLimitReading is Groq's rate-limit header set as a span records it.
type rateLimitReading struct {
	requestsLimit, requestsRemaining int64
	requestsReset                    float64 // seconds
	tokensLimit, tokensRemaining     int64
	tokensReset                      float64 // seconds
}

// rateLimitOf reads a span's rate-limit attributes; false unless all six are there.
func rateLimitOf(got map[attribute.Key]attribute.Value) (rateLimitReading, bool) {
	n := 0
	count := func(k attribute.Key) int64 {
		v, ok := got[k]
		if ok && v.Type() == attribute.INT64 {
			n++
		}
		return v.AsInt64()
	}
	seconds := func(k attribute.Key) float64 {
		v, ok := got[k]
		if ok && v.Type() == attribute.FLOAT64 {
			n++
		}
		return v.AsFloat64()
	}
	r := rateLimitReading{
		requestsLimit: count(semconv.RateLimitRequestsLimit), requestsRemaining: count(semconv.RateLimitRequestsRemaining),
		requestsReset: seconds(semconv.RateLimitRequestsReset),
		tokensLimit:   count(semconv.RateLimitTokensLimit), tokensRemaining: count(semconv.RateLimitTokensRemaining),
		tokensReset: seconds(semconv.RateLimitTokensReset),
	}
	return r, n == 6
}
