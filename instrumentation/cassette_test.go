package instrumentation

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/cassette"
)

// TestCassetteReplay replays every recorded provider exchange through the
// transport and checks the span against what the recording itself says,
// decoded here independently of the parser: tokens, models, status, quota.
func TestCassetteReplay(t *testing.T) {
	dir, ok := cassette.Dir()
	if !ok {
		t.Skip("no ../shared/fixtures/cassettes beside the repository")
	}
	files, err := cassette.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no cassettes")
	}
	for _, path := range files {
		c, err := cassette.Load(path)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		t.Run(filepath.Base(filepath.Dir(path))+"/"+c.Name, func(t *testing.T) {
			h := newHarness(t)
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
				got, err := io.ReadAll(resp.Body)
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
				want := recorded(t, it)
				got := attrs(spans[n])
				wantAttrs(t, got, want)
			}
		})
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
