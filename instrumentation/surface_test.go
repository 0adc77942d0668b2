package instrumentation

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// surfaceBody reads a real response body of the provider surface.
func surfaceBody(t testing.TB, name string) []byte {
	return readTestdata(t, "../internal/response/testdata/surface/"+name)
}

// bodyTransport answers every request with status, header and body, and counts them.
type bodyTransport struct {
	status int
	header http.Header
	body   []byte
	calls  int
}

func (b *bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b.calls++
	return memTransport{status: b.status, header: b.header, body: func() io.ReadCloser {
		return io.NopCloser(bytes.NewReader(b.body))
	}}.RoundTrip(req)
}

// do sends one request through the harness's transport over base, checks that the app
// reads exactly the bytes sent, and returns them.
func do(t *testing.T, h *harness, base http.RoundTripper, method, url, body string, header http.Header) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.inst.Transport(base).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// spansOf returns the ended spans whose gen_ai.operation.name is op.
func spansOf(h *harness, op string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range h.spans.GetSpans() {
		if v, ok := attrs(s)[semconv.GenAIOperationName]; ok && v.AsString() == op {
			out = append(out, s)
		}
	}
	return out
}

// TestBatchResultsCountedOnce polls a finished Gemini batch three times, as apps do:
// each poll is a batch span, free, and the two results (sent twice in every body) are
// recorded once, as calls of their own at the batch rate, children of the first poll.
func TestBatchResultsCountedOnce(t *testing.T) {
	h := newHarness(t, WithLimits(quota.Limit{Provider: Gemini, RequestsPerDay: 100}))
	done := surfaceBody(t, "gemini_batch_done.json")
	base := &bodyTransport{header: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, body: done}
	for range 3 {
		if got := do(t, h, base, "GET", "https://generativelanguage.googleapis.com/v1beta/batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", "", nil); !bytes.Equal(got, done) {
			t.Fatalf("app read %d bytes, want the %d sent", len(got), len(done))
		}
	}
	polls, results := spansOf(h, semconv.OperationBatch), spansOf(h, semconv.OperationGenerateContent)
	if len(polls) != 3 || len(results) != 2 {
		t.Fatalf("%d batch spans and %d results, want 3 and 2", len(polls), len(results))
	}
	for _, p := range polls {
		wantAttrs(t, attrs(p), map[attribute.Key]any{
			semconv.GenAIProviderName:     "gcp.gemini",
			semconv.GenAIResponseID:       "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq",
			semconv.BatchID:               "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq",
			semconv.BatchState:            "BATCH_STATE_SUCCEEDED",
			semconv.BatchRequests:         2,
			semconv.BatchSucceeded:        2,
			semconv.BatchFailed:           0,
			semconv.GenAIUsageInputTokens: nil,
			semconv.CostStatus:            "priced",
			semconv.CostUSD:               0.0,
			semconv.ErrorType:             nil,
		})
	}
	for n, r := range results {
		if r.Parent.SpanID() != polls[0].SpanContext.SpanID() {
			t.Errorf("result %d is not a child of the first poll", n)
		}
		wantAttrs(t, attrs(r), map[attribute.Key]any{
			semconv.GenAIProviderName:         "gcp.gemini",
			semconv.GenAIRequestModel:         "gemini-2.5-flash",
			semconv.GenAIResponseModel:        "gemini-2.5-flash",
			semconv.GenAIUsageInputTokens:     13,
			semconv.GenAIUsageOutputTokens:    []int{44, 54}[n],
			semconv.GenAIUsageReasoningOutput: []int{43, 53}[n],
			semconv.RequestServiceTier:        "batch",
			semconv.ResponseServiceTier:       "batch", // the body says standard; batch is billed at the batch rate
			semconv.ErrorType:                 nil,
		})
	}
	// Batch results run on the batch quota, not the interactive one estimated here;
	// each poll is a request of its own.
	var counted int64
	for _, s := range h.inst.Quota() {
		if s.Provider == Gemini && s.Resource == semconv.ResourceRequests && s.Window == semconv.WindowDay {
			counted += s.Limit - s.Remaining
		}
	}
	if counted != 3 {
		t.Errorf("estimated daily requests count %d, want the 3 polls: %+v", counted, h.inst.Quota())
	}
}

// TestBatchFileDownloadedTwice records a results file's calls once.
func TestBatchFileDownloadedTwice(t *testing.T) {
	h := newHarness(t)
	file := surfaceBody(t, "openai_batch_output.jsonl")
	base := &bodyTransport{header: http.Header{"Content-Type": {"application/octet-stream"}}, body: file}
	for range 2 {
		if got := do(t, h, base, "GET", "https://api.groq.com/openai/v1/files/file-4SnbT9qu8ShH2A1wCvTHNp/content", "", nil); !bytes.Equal(got, file) {
			t.Fatal("the app did not read the file as sent")
		}
	}
	if d, r := spansOf(h, semconv.OperationBatch), spansOf(h, semconv.OperationChat); len(d) != 2 || len(r) != 2 {
		t.Fatalf("%d download spans and %d results, want 2 and 2", len(d), len(r))
	}
	r := attrs(spansOf(h, semconv.OperationChat)[1])
	wantAttrs(t, r, map[attribute.Key]any{
		semconv.GenAIProviderName:      "groq",
		semconv.GenAIResponseModel:     "gpt-5-nano-2025-08-07",
		semconv.GenAIUsageInputTokens:  18,
		semconv.GenAIUsageOutputTokens: 115,
		semconv.ResponseServiceTier:    "batch",
	})
}

// TestPendingBatchThenDone records nothing for polls before the results exist.
func TestPendingBatchThenDone(t *testing.T) {
	h := newHarness(t)
	base := &bodyTransport{header: http.Header{"Content-Type": {"application/json"}}, body: surfaceBody(t, "gemini_batch_pending.json")}
	const url = "https://generativelanguage.googleapis.com/v1beta/batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq"
	do(t, h, base, "GET", url, "", nil)
	do(t, h, base, "GET", url, "", nil)
	base.body = surfaceBody(t, "gemini_batch_done.json")
	do(t, h, base, "GET", url, "", nil)
	if p, r := spansOf(h, semconv.OperationBatch), spansOf(h, semconv.OperationGenerateContent); len(p) != 3 || len(r) != 2 {
		t.Fatalf("%d polls and %d results, want 3 and 2", len(p), len(r))
	}
}

// TestServiceTiers records the tier asked for and the one served, from each place the
// providers say them.
func TestServiceTiers(t *testing.T) {
	const vertex = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-3-flash-preview:generateContent"
	tests := []struct {
		name          string
		url, body     string
		reqHeader     http.Header
		respHeader    http.Header
		respBody      []byte
		request, serv any
	}{
		{
			name:       "gemini: asked priority in the body, served standard by the header",
			url:        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
			body:       `{"contents":[{"parts":[{"text":"hi"}]}],"serviceTier":"priority"}`,
			respHeader: http.Header{"Content-Type": {"application/json"}, "X-Gemini-Service-Tier": {"STANDARD"}},
			respBody:   []byte(`{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-flash"}`),
			request:    "priority", serv: "standard",
		},
		{
			name: "vertex: asked flex in the headers, served flex by trafficType",
			url:  vertex, body: `{"contents":[{"parts":[{"text":"hi"}]}]}`,
			reqHeader:  http.Header{"X-Vertex-Ai-Llm-Request-Type": {"shared"}, "X-Vertex-Ai-Llm-Shared-Request-Type": {"flex"}},
			respHeader: http.Header{"Content-Type": {"application/json"}},
			respBody:   surfaceBody(t, "vertex_flex.json"),
			request:    "flex", serv: "flex",
		},
		{
			name: "vertex: provisioned throughput only",
			url:  vertex, body: `{"contents":[{"parts":[{"text":"hi"}]}]}`,
			reqHeader:  http.Header{"X-Vertex-Ai-Llm-Request-Type": {"dedicated"}},
			respHeader: http.Header{"Content-Type": {"application/json"}},
			respBody:   []byte(`{"usageMetadata":{"promptTokenCount":3,"trafficType":"PROVISIONED_THROUGHPUT"}}`),
			request:    "provisioned", serv: "provisioned",
		},
		{
			name: "groq: asked flex, served on demand",
			url:  "https://api.groq.com/openai/v1/chat/completions", body: `{"model":"openai/gpt-oss-20b","service_tier":"flex","messages":[]}`,
			respHeader: http.Header{"Content-Type": {"application/json"}},
			respBody:   []byte(`{"id":"c","model":"openai/gpt-oss-20b","usage":{"prompt_tokens":3,"completion_tokens":1},"service_tier":"on_demand"}`),
			request:    "flex", serv: "standard",
		},
		{
			name: "no tier said either way",
			url:  "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", body: `{"contents":[]}`,
			respHeader: http.Header{"Content-Type": {"application/json"}},
			respBody:   []byte(`{"usageMetadata":{"promptTokenCount":3}}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			base := &bodyTransport{header: tt.respHeader, body: tt.respBody}
			if got := do(t, h, base, "POST", tt.url, tt.body, tt.reqHeader); !bytes.Equal(got, tt.respBody) {
				t.Fatal("the app did not read the body as sent")
			}
			wantAttrs(t, attrs(h.span(t)), map[attribute.Key]any{
				semconv.RequestServiceTier: tt.request, semconv.ResponseServiceTier: tt.serv,
			})
		})
	}
}

// TestFreeAndSurfaceCalls records countTokens and grounding as the issue asks.
func TestFreeAndSurfaceCalls(t *testing.T) {
	tests := []struct {
		name string
		url  string
		body []byte
		want map[attribute.Key]any
	}{
		{
			name: "countTokens is recorded, priced at 0, with no tokens consumed",
			url:  "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-2-preview:countTokens",
			body: surfaceBody(t, "gemini_count_tokens.json"),
			want: map[attribute.Key]any{
				semconv.GenAIOperationName: "count_tokens", semconv.GenAIRequestModel: "gemini-embedding-2-preview",
				semconv.GenAIUsageInputTokens: nil, semconv.CostStatus: "priced", semconv.CostUSD: 0.0,
			},
		},
		{
			name: "embeddings without usage are unpriced, not 0",
			url:  "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
			body: surfaceBody(t, "gemini_embed_no_usage.json"),
			want: map[attribute.Key]any{
				semconv.GenAIOperationName: "embeddings", semconv.GenAIUsageInputTokens: nil,
				semconv.CostStatus: "unpriced", semconv.CostUSD: nil,
			},
		},
		{
			name: "vertex grounding: two queries",
			url:  "https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:generateContent",
			body: surfaceBody(t, "vertex_grounding.json"),
			want: map[attribute.Key]any{
				semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIOperationName: "generate_content",
				semconv.UsageWebSearchQueries: 2, semconv.GenAIUsageInputTokens: 70, semconv.ResponseServiceTier: "standard",
			},
		},
		{
			name: "vertex explicit cache creation, billed as input",
			url:  "https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/cachedContents",
			body: surfaceBody(t, "vertex_cached_content.json"),
			want: map[attribute.Key]any{
				semconv.GenAIOperationName: "create_cache", semconv.GenAIResponseModel: "gemini-2.5-flash",
				semconv.GenAIUsageInputTokens: 9602, semconv.GenAIUsageOutputTokens: 0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			base := &bodyTransport{header: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, body: tt.body}
			if got := do(t, h, base, "POST", tt.url, `{}`, nil); !bytes.Equal(got, tt.body) {
				t.Fatal("the app did not read the body as sent")
			}
			wantAttrs(t, attrs(h.span(t)), tt.want)
		})
	}
}

// TestBatchLedgerForgetsOldest bounds what the ledger remembers.
func TestBatchLedgerForgetsOldest(t *testing.T) {
	var l batchLedger
	if !l.first("a") || l.first("a") {
		t.Fatal("a key is new once")
	}
	for n := range maxRememberedBatches {
		l.first(string(rune('b' + n)))
	}
	if len(l.seen) != maxRememberedBatches || !l.first("a") {
		t.Errorf("remembered %d keys; the oldest should be forgotten", len(l.seen))
	}
}
