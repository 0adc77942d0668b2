package instrumentationtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/cassette"
)

// span is what a replayed call's span must say: its operation and attributes read off
// the recording by hand.
type span struct {
	op   string
	want map[attribute.Key]any
}

// surfaceRecordings are the recordings of testdata/recordings (sources and licences in
// its README) with the spans each must produce, in the order they end: a batch job
// call's results end before the call itself. The numbers were read off the files.
var surfaceRecordings = []struct {
	file string
	// asGroq replays a recording of OpenAI's host as Groq, which serves the same wire
	// format for the Responses and Batch APIs.
	asGroq bool
	spans  []span
}{
	{file: "pydantic-ai/test_google_vertex_service_tier_flex.yaml", spans: []span{{"generate_content", map[attribute.Key]any{
		semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestModel: "gemini-3-flash-preview",
		semconv.GenAIUsageInputTokens: 5, semconv.GenAIUsageOutputTokens: 1 + 51, semconv.GenAIUsageReasoningOutput: 51,
		semconv.ResponseServiceTier: "flex", // trafficType ON_DEMAND_FLEX
	}}}},
	{file: "pydantic-ai/test_google_vertex_service_tier_flex_stream.yaml", spans: []span{{"generate_content", map[attribute.Key]any{
		semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestStream: true,
		semconv.GenAIUsageInputTokens: 5, semconv.GenAIUsageOutputTokens: 1 + 100, semconv.ResponseServiceTier: "flex",
	}}}},
	{file: "pydantic-ai/TestGoogle.test_vertex_query.yaml", spans: []span{{"embeddings", map[attribute.Key]any{
		semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestModel: "gemini-embedding-001",
		semconv.GenAIUsageInputTokens: 4, semconv.UsageInputCharacters: 12, semconv.GenAIUsageOutputTokens: 0,
	}}}},
	{file: "pydantic-ai/test_google_task_prefix_vertex.yaml", spans: []span{{"embeddings", map[attribute.Key]any{
		semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestModel: "gemini-embedding-2", semconv.GenAIUsageInputTokens: 11,
	}}}},
	{file: "pydantic-ai/test_google_task_prefix[task-type-ignored-on-embedding-2].yaml", spans: []span{{"embeddings", map[attribute.Key]any{
		semconv.GenAIProviderName: "gcp.gemini", semconv.GenAIRequestModel: "gemini-embedding-2", semconv.GenAIUsageInputTokens: 7,
	}}}},
	{file: "pydantic-ai/TestGoogle.test_count_tokens.yaml", spans: []span{{"count_tokens", map[attribute.Key]any{
		semconv.GenAIRequestModel: "gemini-embedding-2-preview", semconv.GenAIUsageInputTokens: nil,
		semconv.CostStatus: "priced", semconv.CostUSD: 0.0,
	}}}},
	{file: "pydantic-ai/test_openai_responses_streaming_usage.yaml", asGroq: true, spans: []span{{"chat", map[attribute.Key]any{
		semconv.GenAIProviderName: "groq", semconv.GenAIRequestModel: "gpt-5", semconv.GenAIResponseModel: "gpt-5-2025-08-07",
		semconv.GenAIRequestStream: true, semconv.GenAIUsageInputTokens: 53, semconv.GenAIUsageOutputTokens: 469,
		semconv.GenAIUsageReasoningOutput: 448, semconv.GenAIUsageCacheReadInput: 0,
		semconv.GenAIResponseFinishReasons: []string{"completed"}, semconv.RequestServiceTier: "flex",
		semconv.ResponseServiceTier: "flex",
	}}}},
	{file: "pydantic-ai/test_google_model_web_search_tool_stream.yaml", spans: []span{
		{"generate_content", map[attribute.Key]any{ // the queries are in the stream's last event only
			semconv.GenAIRequestStream: true, semconv.UsageWebSearchQueries: 1,
			semconv.GenAIUsageInputTokens: 17 + 102, semconv.GenAIUsageOutputTokens: 241 + 412,
		}},
		{"generate_content", map[attribute.Key]any{
			semconv.GenAIRequestStream: false, semconv.UsageWebSearchQueries: 1,
			semconv.GenAIUsageInputTokens: 249 + 319, semconv.GenAIUsageOutputTokens: 240 + 301,
		}},
	}},
	{file: "ruby_llm/chat_citations_with_gemini_gemini-2_5-flash_returns_grounding_citations_when_search_is_enabled.yml", spans: []span{
		{"generate_content", map[attribute.Key]any{
			semconv.GenAIProviderName: "gcp.gemini", semconv.UsageWebSearchQueries: 1, semconv.ResponseServiceTier: "standard",
			semconv.GenAIUsageInputTokens: 10 + 73, semconv.GenAIUsageOutputTokens: 30 + 109,
		}},
	}},
	{file: "ruby_llm/chat_citations_with_vertexai_gemini-2_5-flash_returns_grounding_citations_when_search_is_enabled.yml", spans: []span{
		{"generate_content", map[attribute.Key]any{ // the same prompt as above, two queries on Vertex AI
			semconv.GenAIProviderName: "gcp.vertex_ai", semconv.UsageWebSearchQueries: 2, semconv.ResponseServiceTier: "standard",
			semconv.GenAIUsageInputTokens: 9 + 61, semconv.GenAIUsageOutputTokens: 27 + 221,
		}},
	}},
	{file: "ruby_llm/chat_count_tokens_with_vertexai_gemini-2_5-flash_counts_a_staged_message.yml", spans: []span{
		{"count_tokens", map[attribute.Key]any{semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestModel: "gemini-2.5-flash", semconv.CostUSD: 0.0}},
	}},
	{file: "ruby_llm/embedding_basic_functionality_gemini_gemini-embedding-001_can_handle_a_single_text.yml", spans: []span{
		{"embeddings", map[attribute.Key]any{ // no usage in the body: tokens unknown, cost unknown, never 0
			semconv.GenAIRequestModel: "gemini-embedding-001", semconv.GenAIUsageInputTokens: nil,
			semconv.CostStatus: "unpriced", semconv.CostUSD: nil,
		}},
	}},
	{file: "ruby_llm/embedding_basic_functionality_vertexai_text-embedding-004_can_handle_a_single_text.yml", spans: []span{
		{"embeddings", map[attribute.Key]any{
			semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIRequestModel: "text-embedding-004",
			semconv.GenAIUsageInputTokens: 10, semconv.UsageInputCharacters: 29,
		}},
	}},
	{file: "ruby_llm/embedding_multimodal_embeddings_gemini_gemini-embedding-2_embeds_an_image_alongside_text.yml", spans: []span{
		{"embeddings", map[attribute.Key]any{
			semconv.GenAIRequestModel: "gemini-embedding-2", semconv.GenAIUsageInputTokens: 261, semconv.UsageImageInputTokens: 258,
		}},
	}},
	{file: "ruby_llm/cachedcontent_explicit_caching_round-trip_gemini_gemini-2_5-flash_creates_uses_extends_and_deletes_a_cache.yml", spans: []span{
		{"create_cache", map[attribute.Key]any{
			semconv.GenAIProviderName: "gcp.gemini", semconv.GenAIResponseModel: "gemini-2.5-flash",
			semconv.GenAIResponseID: "cachedContents/1e9odc8cm11aab2truxzl4pdxjjxtss4k3gvture", semconv.GenAIUsageInputTokens: 9609,
		}},
		{"generate_content", map[attribute.Key]any{
			semconv.GenAIUsageInputTokens: 9622, semconv.GenAIUsageCacheReadInput: 9609, semconv.GenAIUsageOutputTokens: 35 + 136,
		}},
		// The extension (PATCH) and the deletion pass through unrecorded: not billed.
	}},
	{file: "ruby_llm/cachedcontent_explicit_caching_round-trip_vertexai_gemini-2_5-flash_creates_uses_and_deletes_a_cache.yml", spans: []span{
		{"create_cache", map[attribute.Key]any{semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIResponseModel: "gemini-2.5-flash", semconv.GenAIUsageInputTokens: 9602}},
		{"generate_content", map[attribute.Key]any{
			semconv.GenAIUsageInputTokens: 9613, semconv.GenAIUsageCacheReadInput: 9602, semconv.GenAIUsageOutputTokens: 33 + 39,
			semconv.ResponseServiceTier: "standard",
		}},
	}},
}

// batchRecordings are the batch recordings: many job calls, results counted once.
var batchRecordings = []struct {
	file      string
	asGroq    bool
	jobCalls  int
	resultOp  string
	results   []map[attribute.Key]any
	jobChecks map[attribute.Key]any // on the last job call
}{
	{
		// The create call and 27 polls; the last two return the same two results, each
		// twice (metadata.output and response).
		file:     "ruby_llm/batch_with_gemini_gemini-2_5-flash_answers_staged_chats_and_appends_the_answers_to_their_conversations.yml",
		jobCalls: 28, resultOp: "generate_content",
		results: []map[attribute.Key]any{
			{semconv.GenAIResponseID: "xr-FavMd3JGa2Q-swqfYBw", semconv.GenAIUsageInputTokens: 13, semconv.GenAIUsageOutputTokens: 1 + 43, semconv.ResponseServiceTier: "batch"},
			{semconv.GenAIResponseID: "UMCFarbOEOqsz7IPvIHruQ0", semconv.GenAIUsageInputTokens: 13, semconv.GenAIUsageOutputTokens: 1 + 53, semconv.ResponseServiceTier: "batch"},
		},
		jobChecks: map[attribute.Key]any{
			semconv.BatchID: "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", semconv.BatchState: "BATCH_STATE_SUCCEEDED",
			semconv.BatchRequests: 2, semconv.BatchSucceeded: 2, semconv.CostUSD: 0.0,
		},
	},
	{
		// Upload (not a job call), create, 11 polls, the output file downloaded.
		file: "ruby_llm/batch_with_openai_gpt-5-nano_answers_staged_chats_and_appends_the_answers_to_their_conversations.yml", asGroq: true,
		jobCalls: 13, resultOp: "chat",
		results: []map[attribute.Key]any{
			{semconv.GenAIResponseModel: "gpt-5-nano-2025-08-07", semconv.GenAIUsageInputTokens: 18, semconv.GenAIUsageOutputTokens: 109, semconv.GenAIUsageReasoningOutput: 64, semconv.ResponseServiceTier: "batch"},
			{semconv.GenAIResponseModel: "gpt-5-nano-2025-08-07", semconv.GenAIUsageInputTokens: 18, semconv.GenAIUsageOutputTokens: 115, semconv.GenAIUsageReasoningOutput: 64, semconv.ResponseServiceTier: "batch"},
		},
		jobChecks: map[attribute.Key]any{semconv.CostUSD: 0.0},
	},
}

// replay sends every interaction of the recording at path through a fresh harness's
// transport, reading each body with read, and checks the app read each body as recorded.
func replay(t *testing.T, path string, asGroq bool, read func(io.Reader) ([]byte, error)) *harness {
	t.Helper()
	c, err := cassette.Load(filepath.Join("testdata", "recordings", path))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	client := &http.Client{Transport: h.inst.Transport(c.Transport())}
	// Placeholders the recorders wrote into paths, and OpenAI's host for Groq's format.
	uri := strings.NewReplacer("<", "", ">", "")
	for n, it := range c.Interactions {
		u := uri.Replace(it.Request.URI)
		if asGroq {
			u = strings.Replace(u, "https://api.openai.com/v1/", "https://api.groq.com/openai/v1/", 1)
		}
		req, err := http.NewRequestWithContext(context.Background(), it.Request.Method, u, bytes.NewReader(it.Request.Body))
		if err != nil {
			t.Fatalf("interaction %d: %v", n, err)
		}
		req.Header = it.Request.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("interaction %d: %v", n, err)
		}
		got, err := read(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatalf("interaction %d: read: %v", n, err)
		}
		if !bytes.Equal(got, it.Response.Body) {
			t.Errorf("interaction %d: app read %d bytes, recording has %d", n, len(got), len(it.Response.Body))
		}
	}
	return h
}

// TestSurfaceReplay replays the real recordings of the provider surface through the
// transport, reading each body in several ways, and checks each span against the
// numbers read off the recording by hand.
func TestSurfaceReplay(t *testing.T) {
	for _, rec := range surfaceRecordings {
		for _, how := range readings {
			t.Run(rec.file+"/"+how.name, func(t *testing.T) {
				h := replay(t, rec.file, rec.asGroq, how.read)
				got := h.spans.GetSpans()
				if len(got) != len(rec.spans) {
					t.Fatalf("%d spans, want %d", len(got), len(rec.spans))
				}
				for n, want := range rec.spans {
					a := attrs(got[n])
					wantAttrs(t, a, map[attribute.Key]any{semconv.GenAIOperationName: want.op})
					wantAttrs(t, a, want.want)
				}
			})
		}
	}
}

// TestBatchReplay replays batch jobs polled until done: a span per job call, and each
// result recorded once at the batch rate however often the app read it.
func TestBatchReplay(t *testing.T) {
	for _, rec := range batchRecordings {
		for _, how := range readings {
			t.Run(rec.file+"/"+how.name, func(t *testing.T) {
				h := replay(t, rec.file, rec.asGroq, how.read)
				var jobs, results []map[attribute.Key]attribute.Value
				for _, s := range h.spans.GetSpans() {
					switch a := attrs(s); a[semconv.GenAIOperationName].AsString() {
					case "batch":
						jobs = append(jobs, a)
					case rec.resultOp:
						results = append(results, a)
					}
				}
				if len(jobs) != rec.jobCalls || len(results) != len(rec.results) {
					t.Fatalf("%d job calls and %d results, want %d and %d", len(jobs), len(results), rec.jobCalls, len(rec.results))
				}
				for n, want := range rec.results {
					wantAttrs(t, results[n], want)
					wantAttrs(t, results[n], map[attribute.Key]any{semconv.RequestServiceTier: "batch"})
				}
				wantAttrs(t, jobs[len(jobs)-1], rec.jobChecks)
			})
		}
	}
}
