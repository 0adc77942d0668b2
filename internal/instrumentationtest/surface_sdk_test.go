package instrumentationtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/httptransport"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/emulator"
)

// surface is the emulator serving Groq, Gemini and Vertex AI, and an instrumentation
// recording their calls, with SDK clients over its transport.
type surface struct {
	h      *harness
	wire   *wireTap
	tee    *teeTransport
	gemini *genai.Client
	vertex *genai.Client
	groq   openai.Client
}

// newSurface starts the emulator and builds the real SDK clients: genai for the Gemini
// API (API key) and for Vertex AI (a static OAuth token, HTTPOptions.BaseURL at the
// emulator), openai-go for Groq. vertexHeaders are sent with every Vertex AI request.
func newSurface(t *testing.T, vertexHeaders http.Header) *surface {
	t.Helper()
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emu.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.StartVertex(srv, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	s := &surface{h: newHarness(t,
		instrumentation.WithHost(hostOf(t, srv.GroqURL), instrumentation.Groq),
		instrumentation.WithHost(hostOf(t, srv.GeminiURL), instrumentation.Gemini),
		instrumentation.WithHost(hostOf(t, srv.VertexURL), instrumentation.VertexAI))}
	s.wire = &wireTap{}
	s.tee = &teeTransport{base: s.h.inst.Transport(s.wire)}
	hc := &http.Client{Transport: s.tee}
	ctx := context.Background()
	if s.gemini, err = genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: "AIza_test_secret", Backend: genai.BackendGeminiAPI, HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.GeminiURL},
	}); err != nil {
		t.Fatal(err)
	}
	// Vertex AI authenticates with OAuth: the auth transport adds the token, then the
	// instrumentation's transport (below it) records the call.
	creds := auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: staticToken("ya29.test-token")})
	vc, err := httptransport.NewClient(&httptransport.Options{Credentials: creds, BaseRoundTripper: s.tee})
	if err != nil {
		t.Fatal(err)
	}
	if s.vertex, err = genai.NewClient(ctx, &genai.ClientConfig{
		Backend: genai.BackendVertexAI, Project: "demo-project", Location: "us-central1", HTTPClient: vc,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.VertexURL, Headers: vertexHeaders},
	}); err != nil {
		t.Fatal(err)
	}
	s.groq = openai.NewClient(option.WithBaseURL(srv.GroqURL+"/openai/v1"), option.WithAPIKey("gsk_test_secret"),
		option.WithMaxRetries(0), option.WithHTTPClient(hc))
	return s
}

// staticToken is an OAuth token that never expires, as tests need.
type staticToken string

func (s staticToken) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{Value: string(s), Type: "Bearer"}, nil
}

// wireTap is the base transport: it keeps each response body as the server sent it.
type wireTap struct {
	mu   sync.Mutex
	sent [][]byte
}

func (w *wireTap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	w.mu.Lock()
	w.sent = append(w.sent, b)
	w.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

// teeTransport sits between the SDK and the instrumentation and keeps each response
// body as the SDK read it.
type teeTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	read []*bytes.Buffer
}

func (t *teeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	buf := new(bytes.Buffer)
	t.mu.Lock()
	t.read = append(t.read, buf)
	t.mu.Unlock()
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, buf), resp.Body}
	return resp, nil
}

// checkBytes asserts that the SDK read every response body exactly as the server sent it.
func (s *surface) checkBytes(t *testing.T) {
	t.Helper()
	s.tee.mu.Lock()
	defer s.tee.mu.Unlock()
	s.wire.mu.Lock()
	sent := s.wire.sent
	s.wire.mu.Unlock()
	if len(sent) != len(s.tee.read) {
		t.Fatalf("%d bodies sent, %d read by the SDK", len(sent), len(s.tee.read))
	}
	for n := range sent {
		if !bytes.Equal(sent[n], s.tee.read[n].Bytes()) {
			t.Errorf("response %d: the SDK read %d bytes, the server sent %d", n, s.tee.read[n].Len(), len(sent[n]))
		}
	}
}

// spans returns the spans ended so far whose operation is op.
func (s *surface) spans(op string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, sp := range s.h.spans.GetSpans() {
		if v, ok := attrs(sp)[semconv.GenAIOperationName]; ok && v.AsString() == op {
			out = append(out, sp)
		}
	}
	return out
}

// only returns the one span of op.
func (s *surface) only(t *testing.T, op string) map[attribute.Key]attribute.Value {
	t.Helper()
	ss := s.spans(op)
	if len(ss) != 1 {
		t.Fatalf("%d %s spans, want 1", len(ss), op)
	}
	return attrs(ss[0])
}

// TestSurfaceGeminiSDK drives the Gemini API's surface through the real genai SDK
// against the emulator: service tiers, grounding, countTokens, embeddings, explicit
// caches and a batch job polled until done.
func TestSurfaceGeminiSDK(t *testing.T) {
	ctx := context.Background()
	const prompt = "turn on the kitchen lights" // 26 characters: 7 tokens by the emulator's rule

	t.Run("priority asked and served", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.gemini.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{ServiceTier: genai.ServiceTierPriority})
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		wantAttrs(t, s.only(t, "generate_content"), map[attribute.Key]any{
			semconv.GenAIProviderName:      "gcp.gemini",
			semconv.RequestServiceTier:     "priority",
			semconv.ResponseServiceTier:    "priority",
			semconv.GenAIUsageInputTokens:  int64(u.PromptTokenCount),
			semconv.GenAIUsageOutputTokens: int64(u.CandidatesTokenCount + u.ThoughtsTokenCount),
		})
		s.checkBytes(t)
	})

	t.Run("priority asked, standard served", func(t *testing.T) {
		s := newSurface(t, nil)
		if _, err := s.gemini.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt+" "+emulator.PriorityBusyTrigger),
			&genai.GenerateContentConfig{ServiceTier: genai.ServiceTierPriority}); err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "generate_content"), map[attribute.Key]any{
			semconv.RequestServiceTier: "priority", semconv.ResponseServiceTier: "standard",
		})
	})

	t.Run("grounded stream: one search query", func(t *testing.T) {
		s := newSurface(t, nil)
		var last *genai.GenerateContentResponse
		for resp, err := range s.gemini.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{Tools: []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}}) {
			if err != nil {
				t.Fatal(err)
			}
			last = resp
		}
		queries := last.Candidates[0].GroundingMetadata.WebSearchQueries
		wantAttrs(t, s.only(t, "generate_content"), map[attribute.Key]any{
			semconv.GenAIRequestStream:    true,
			semconv.UsageWebSearchQueries: int64(len(queries)),
			semconv.GenAIUsageInputTokens: int64(last.UsageMetadata.PromptTokenCount + last.UsageMetadata.ToolUsePromptTokenCount),
			semconv.ResponseServiceTier:   "standard",
		})
		if len(queries) != 1 {
			t.Errorf("%d queries, want the emulator's 1", len(queries))
		}
		s.checkBytes(t)
	})

	t.Run("countTokens", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.gemini.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
		if err != nil || resp.TotalTokens != 7 {
			t.Fatalf("count = %+v, %v; want 7", resp, err)
		}
		wantAttrs(t, s.only(t, "count_tokens"), map[attribute.Key]any{
			semconv.GenAIRequestModel:     "gemini-2.5-flash",
			semconv.GenAIUsageInputTokens: nil, // counting consumes nothing
			semconv.CostStatus:            "priced",
			semconv.CostUSD:               0.0,
		})
	})

	t.Run("embeddings with and without usage", func(t *testing.T) {
		s := newSurface(t, nil)
		for _, model := range []string{"gemini-embedding-001", "gemini-embedding-2"} {
			resp, err := s.gemini.Models.EmbedContent(ctx, model, genai.Text(prompt), nil)
			if err != nil || len(resp.Embeddings) != 1 {
				t.Fatalf("%s: %+v, %v", model, resp, err)
			}
		}
		spans := s.spans("embeddings")
		if len(spans) != 2 {
			t.Fatalf("%d embeddings spans, want 2", len(spans))
		}
		wantAttrs(t, attrs(spans[0]), map[attribute.Key]any{ // gemini-embedding-001 reports no usage
			semconv.GenAIRequestModel: "gemini-embedding-001", semconv.GenAIUsageInputTokens: nil,
			semconv.CostStatus: "unpriced", semconv.CostUSD: nil,
		})
		wantAttrs(t, attrs(spans[1]), map[attribute.Key]any{
			semconv.GenAIRequestModel: "gemini-embedding-2", semconv.GenAIUsageInputTokens: 7, semconv.GenAIUsageOutputTokens: 0,
		})
		s.checkBytes(t)
	})

	t.Run("explicit cache creation", func(t *testing.T) {
		s := newSurface(t, nil)
		doc := strings.Repeat("The thermostat schedule: 21 degrees from six. ", 40) // 1840 characters: 460 tokens
		cc, err := s.gemini.Caches.Create(ctx, "gemini-2.5-flash", &genai.CreateCachedContentConfig{
			Contents: genai.Text(doc), TTL: 300_000_000_000,
		})
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "create_cache"), map[attribute.Key]any{
			semconv.GenAIProviderName:      "gcp.gemini",
			semconv.GenAIResponseModel:     "gemini-2.5-flash",
			semconv.GenAIResponseID:        cc.Name,
			semconv.GenAIUsageInputTokens:  int64(cc.UsageMetadata.TotalTokenCount),
			semconv.GenAIUsageOutputTokens: 0,
		})
		if cc.UsageMetadata.TotalTokenCount != 460 {
			t.Errorf("cache holds %d tokens, want 460", cc.UsageMetadata.TotalTokenCount)
		}
	})

	t.Run("batch polled until done, results counted once", func(t *testing.T) {
		s := newSurface(t, nil)
		job, err := s.gemini.Batches.Create(ctx, "gemini-2.5-flash", &genai.BatchJobSource{InlinedRequests: []*genai.InlinedRequest{
			{Contents: genai.Text(prompt), Metadata: map[string]string{"key": "a"}},
			{Contents: genai.Text("lock the front door"), Metadata: map[string]string{"key": "b"}},
		}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var done *genai.BatchJob
		for range 4 { // running, done, and done again: apps poll on
			if done, err = s.gemini.Batches.Get(ctx, job.Name, nil); err != nil {
				t.Fatal(err)
			}
		}
		if done.State != genai.JobStateSucceeded || len(done.Dest.InlinedResponses) != 2 {
			t.Fatalf("job %s with %d results", done.State, len(done.Dest.InlinedResponses))
		}
		jobs, results := s.spans("batch"), s.spans("generate_content")
		if len(jobs) != 5 || len(results) != 2 {
			t.Fatalf("%d batch spans and %d results, want 5 (create, 4 polls) and 2", len(jobs), len(results))
		}
		for n, r := range results {
			u := done.Dest.InlinedResponses[n].Response.UsageMetadata
			wantAttrs(t, attrs(r), map[attribute.Key]any{
				semconv.GenAIRequestModel:      "gemini-2.5-flash",
				semconv.GenAIUsageInputTokens:  int64(u.PromptTokenCount),
				semconv.GenAIUsageOutputTokens: int64(u.CandidatesTokenCount + u.ThoughtsTokenCount),
				semconv.RequestServiceTier:     "batch",
				semconv.ResponseServiceTier:    "batch",
			})
			if r.Parent.SpanID() != jobs[2].SpanContext.SpanID() {
				t.Errorf("result %d is not a child of the poll that found the job done", n)
			}
		}
		for _, j := range jobs {
			wantAttrs(t, attrs(j), map[attribute.Key]any{semconv.BatchID: job.Name, semconv.BatchRequests: 2, semconv.CostUSD: 0.0})
		}
		s.checkBytes(t)
	})
}

// TestSurfaceVertexSDK drives Vertex AI through the real genai SDK with its Vertex AI
// backend and OAuth credentials against the emulator.
func TestSurfaceVertexSDK(t *testing.T) {
	ctx := context.Background()
	const prompt = "turn on the kitchen lights"

	t.Run("generate, standard", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.vertex.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := s.only(t, "generate_content")
		wantAttrs(t, got, map[attribute.Key]any{
			semconv.GenAIProviderName:      "gcp.vertex_ai",
			semconv.GenAIRequestModel:      "gemini-2.5-flash",
			semconv.RequestServiceTier:     nil,
			semconv.ResponseServiceTier:    "standard",
			semconv.GenAIUsageInputTokens:  int64(resp.UsageMetadata.PromptTokenCount),
			semconv.GenAIUsageOutputTokens: int64(resp.UsageMetadata.CandidatesTokenCount + resp.UsageMetadata.ThoughtsTokenCount),
		})
		if resp.UsageMetadata.TrafficType != genai.TrafficTypeOnDemand {
			t.Errorf("the SDK read traffic type %q", resp.UsageMetadata.TrafficType)
		}
		for k, v := range got {
			if strings.Contains(v.Emit(), "ya29.") {
				t.Errorf("the OAuth token is recorded in %s", k)
			}
		}
		s.checkBytes(t)
	})

	t.Run("stream asked and served at flex", func(t *testing.T) {
		s := newSurface(t, http.Header{"X-Vertex-AI-LLM-Request-Type": {"shared"}, "X-Vertex-AI-LLM-Shared-Request-Type": {"flex"}})
		for _, err := range s.vertex.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text(prompt), nil) {
			if err != nil {
				t.Fatal(err)
			}
		}
		wantAttrs(t, s.only(t, "generate_content"), map[attribute.Key]any{
			semconv.GenAIRequestStream: true, semconv.RequestServiceTier: "flex", semconv.ResponseServiceTier: "flex",
		})
		s.checkBytes(t)
	})

	t.Run("grounding: two queries", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.vertex.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{Tools: []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}})
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "generate_content"), map[attribute.Key]any{
			semconv.UsageWebSearchQueries: int64(len(resp.Candidates[0].GroundingMetadata.WebSearchQueries)),
		})
		if n := len(resp.Candidates[0].GroundingMetadata.WebSearchQueries); n != 2 {
			t.Errorf("%d queries, want the emulator's 2 on Vertex AI", n)
		}
	})

	t.Run("countTokens, embeddings by :predict and :embedContent, a cache", func(t *testing.T) {
		s := newSurface(t, nil)
		if _, err := s.vertex.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text(prompt), nil); err != nil {
			t.Fatal(err)
		}
		pred, err := s.vertex.Models.EmbedContent(ctx, "text-embedding-005", genai.Text(prompt), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.vertex.Models.EmbedContent(ctx, "gemini-embedding-2", genai.Text(prompt), nil); err != nil {
			t.Fatal(err)
		}
		doc := strings.Repeat("The thermostat schedule: 21 degrees from six. ", 40)
		cc, err := s.vertex.Caches.Create(ctx, "gemini-2.5-flash", &genai.CreateCachedContentConfig{Contents: genai.Text(doc)})
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "count_tokens"), map[attribute.Key]any{semconv.GenAIProviderName: "gcp.vertex_ai", semconv.CostUSD: 0.0})
		emb := s.spans("embeddings")
		if len(emb) != 2 {
			t.Fatalf("%d embeddings spans, want 2", len(emb))
		}
		wantAttrs(t, attrs(emb[0]), map[attribute.Key]any{
			semconv.GenAIRequestModel:     "text-embedding-005",
			semconv.GenAIUsageInputTokens: int64(pred.Embeddings[0].Statistics.TokenCount),
			semconv.UsageInputCharacters:  int64(pred.Metadata.BillableCharacterCount),
		})
		if pred.Metadata.BillableCharacterCount != 22 { // 26 characters, 4 spaces
			t.Errorf("billable characters %d, want 22", pred.Metadata.BillableCharacterCount)
		}
		wantAttrs(t, attrs(emb[1]), map[attribute.Key]any{semconv.GenAIRequestModel: "gemini-embedding-2", semconv.GenAIUsageInputTokens: 7})
		wantAttrs(t, s.only(t, "create_cache"), map[attribute.Key]any{
			semconv.GenAIProviderName: "gcp.vertex_ai", semconv.GenAIResponseModel: "gemini-2.5-flash",
			semconv.GenAIUsageInputTokens: int64(cc.UsageMetadata.TotalTokenCount),
		})
		s.checkBytes(t)
	})
}

// TestSurfaceGroqSDK drives Groq's Responses API, service tiers and a batch job through
// the real openai-go SDK against the emulator.
func TestSurfaceGroqSDK(t *testing.T) {
	ctx := context.Background()
	params := responses.ResponseNewParams{
		Model: "openai/gpt-oss-20b",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("turn on the kitchen lights")},
	}

	t.Run("responses", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.groq.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "chat"), map[attribute.Key]any{
			semconv.GenAIProviderName:          "groq",
			semconv.GenAIRequestModel:          "openai/gpt-oss-20b",
			semconv.GenAIResponseID:            resp.ID,
			semconv.GenAIUsageInputTokens:      resp.Usage.InputTokens,
			semconv.GenAIUsageOutputTokens:     resp.Usage.OutputTokens,
			semconv.GenAIUsageReasoningOutput:  resp.Usage.OutputTokensDetails.ReasoningTokens,
			semconv.GenAIResponseFinishReasons: []string{"completed"},
			semconv.ResponseServiceTier:        "standard",
			semconv.RateLimitRequestsLimit:     1000,
		})
		s.checkBytes(t)
	})

	t.Run("responses stream, cached prompt, flex", func(t *testing.T) {
		s := newSurface(t, nil)
		long := params
		long.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(strings.Repeat("set the thermostat to 21 degrees. ", 40))}
		long.ServiceTier = responses.ResponseNewParamsServiceTierFlex
		if _, err := s.groq.Responses.New(ctx, long); err != nil { // fills the prompt cache
			t.Fatal(err)
		}
		st := s.groq.Responses.NewStreaming(ctx, long)
		var usage responses.ResponseUsage
		for st.Next() {
			if ev := st.Current(); ev.Type == "response.completed" {
				usage = ev.AsResponseCompleted().Response.Usage
			}
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		spans := s.spans("chat")
		if len(spans) != 2 || usage.InputTokensDetails.CachedTokens == 0 {
			t.Fatalf("%d spans, cached %d", len(spans), usage.InputTokensDetails.CachedTokens)
		}
		wantAttrs(t, attrs(spans[1]), map[attribute.Key]any{
			semconv.GenAIRequestStream:       true,
			semconv.GenAIUsageInputTokens:    usage.InputTokens,
			semconv.GenAIUsageCacheReadInput: usage.InputTokensDetails.CachedTokens,
			semconv.GenAIUsageOutputTokens:   usage.OutputTokens,
			semconv.RequestServiceTier:       "flex",
			semconv.ResponseServiceTier:      "flex",
			semconv.ErrorType:                nil,
		})
		s.checkBytes(t)
	})

	t.Run("chat asked flex", func(t *testing.T) {
		s := newSurface(t, nil)
		if _, err := s.groq.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "llama-3.1-8b-instant", ServiceTier: openai.ChatCompletionNewParamsServiceTierFlex,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("lock the front door")},
		}); err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "chat"), map[attribute.Key]any{semconv.RequestServiceTier: "flex", semconv.ResponseServiceTier: "flex"})
	})

	t.Run("batch with its results file downloaded twice", func(t *testing.T) {
		s := newSurface(t, nil)
		b := s.groqBatch(ctx, t)
		var out []byte
		for range 2 {
			resp, err := s.groq.Files.Content(ctx, b.OutputFileID)
			if err != nil {
				t.Fatal(err)
			}
			out, _ = io.ReadAll(resp.Body)
			_ = resp.Body.Close()
		}
		jobs, results := s.spans("batch"), s.spans("chat")
		// create, 2 polls, 2 downloads; the upload is not a batch job call
		if len(jobs) != 5 || len(results) != 2 {
			t.Fatalf("%d batch spans and %d results, want 5 and 2", len(jobs), len(results))
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for n, r := range results {
			var want struct {
				Response struct {
					Body struct {
						Model string `json:"model"`
						Usage struct {
							PromptTokens     int64 `json:"prompt_tokens"`
							CompletionTokens int64 `json:"completion_tokens"`
						} `json:"usage"`
					} `json:"body"`
				} `json:"response"`
			}
			if err := json.Unmarshal([]byte(lines[n]), &want); err != nil {
				t.Fatal(err)
			}
			wantAttrs(t, attrs(r), map[attribute.Key]any{
				semconv.GenAIResponseModel:     want.Response.Body.Model,
				semconv.GenAIUsageInputTokens:  want.Response.Body.Usage.PromptTokens,
				semconv.GenAIUsageOutputTokens: want.Response.Body.Usage.CompletionTokens,
				semconv.ResponseServiceTier:    "batch",
			})
		}
		wantAttrs(t, attrs(jobs[len(jobs)-1]), map[attribute.Key]any{semconv.CostUSD: 0.0, semconv.ErrorType: nil})
		s.checkBytes(t)
	})
}

// groqBatch uploads a two-request input file (llama-3.1-8b-instant and
// openai/gpt-oss-20b), creates a batch from it and polls it until completed.
func (s *surface) groqBatch(ctx context.Context, t *testing.T) *openai.Batch {
	t.Helper()
	input := `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"lock the front door"}]}}` + "\n" +
		`{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"openai/gpt-oss-20b","messages":[{"role":"user","content":"turn on the kitchen lights"}]}}` + "\n"
	f, err := s.groq.Files.New(ctx, openai.FileNewParams{File: openai.File(strings.NewReader(input), "batch.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.groq.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		t.Fatal(err)
	}
	for b.Status != openai.BatchStatusCompleted {
		if b, err = s.groq.Batches.Get(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	return b
}
