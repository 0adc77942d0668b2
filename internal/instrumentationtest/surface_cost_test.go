package instrumentationtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// perM is USD per 1M units, as instrumentation/pricing/prices.csv quotes token and
// character prices; perK is USD per 1K, as it quotes search fees.
func perM(usd float64) float64 { return usd / 1e6 }
func perK(usd float64) float64 { return usd / 1e3 }

// TestSurfaceCostsGenAI prices surface calls made through the real genai SDK (Gemini API
// and Vertex AI) against the emulator. Each expected cost is computed here from the
// counts the SDK read and the rates of prices.csv, quoted beside each (checked
// 2026-12-01): a wrong tier, unit or platform shows as a wrong figure.
func TestSurfaceCostsGenAI(t *testing.T) {
	ctx := context.Background()
	const prompt = "turn on the kitchen lights"

	t.Run("vertex standard: the gcp.vertex_ai rows", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.vertex.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		// gcp.vertex_ai,gemini-2.5-flash,standard: input 0.30, cached input 0.03, output 2.50
		want := float64(u.PromptTokenCount-u.CachedContentTokenCount)*perM(0.30) + float64(u.CachedContentTokenCount)*perM(0.03) +
			float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(2.50)
		wantCost(t, s.only(t, "generate_content"), want, semconv.ServiceTierStandard)
	})

	t.Run("vertex grounding: one grounded prompt fee, whatever the queries", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.vertex.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{Tools: []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}})
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		if n := len(resp.Candidates[0].GroundingMetadata.WebSearchQueries); n != 2 {
			t.Fatalf("%d queries, want the emulator's 2", n)
		}
		// Gemini 2.5 grounding is billed per grounded prompt: web_search_requests 35 per 1K.
		want := float64(u.PromptTokenCount+u.ToolUsePromptTokenCount-u.CachedContentTokenCount)*perM(0.30) +
			float64(u.CachedContentTokenCount)*perM(0.03) + float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(2.50) +
			1*perK(35)
		wantCost(t, s.only(t, "generate_content"), want, semconv.ServiceTierStandard)
	})

	t.Run("gemini flex served: the flex rows", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.gemini.Models.GenerateContent(ctx, "gemini-3.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{ServiceTier: genai.ServiceTierFlex})
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		// gcp.gemini,gemini-3.5-flash,flex: input 0.75, output 4.50 (standard: 1.50, 9.00)
		want := float64(u.PromptTokenCount)*perM(0.75) + float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(4.50)
		got := s.only(t, "generate_content")
		wantAttrs(t, got, map[attribute.Key]any{semconv.RequestServiceTier: "flex", semconv.ResponseServiceTier: "flex"})
		wantCost(t, got, want, semconv.ServiceTierFlex)
	})

	t.Run("vertex flex asked by header and served", func(t *testing.T) {
		s := newSurface(t, http.Header{"X-Vertex-AI-LLM-Request-Type": {"shared"}, "X-Vertex-AI-LLM-Shared-Request-Type": {"flex"}})
		resp, err := s.vertex.Models.GenerateContent(ctx, "gemini-3.5-flash", genai.Text(prompt), nil)
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		// gcp.vertex_ai,gemini-3.5-flash,flex: input 0.75, output 4.50
		want := float64(u.PromptTokenCount)*perM(0.75) + float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(4.50)
		wantCost(t, s.only(t, "generate_content"), want, semconv.ServiceTierFlex)
	})

	t.Run("flex served on a model without flex rows: the standard rate, said so", func(t *testing.T) {
		s := newSurface(t, nil)
		resp, err := s.gemini.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt),
			&genai.GenerateContentConfig{ServiceTier: genai.ServiceTierFlex})
		if err != nil {
			t.Fatal(err)
		}
		u := resp.UsageMetadata
		want := float64(u.PromptTokenCount)*perM(0.30) + float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(2.50)
		got := s.only(t, "generate_content")
		wantAttrs(t, got, map[attribute.Key]any{semconv.ResponseServiceTier: "flex"})
		wantCost(t, got, want, semconv.ServiceTierStandard) // the tier priced differs from the tier served
	})

	t.Run("countTokens is free, embeddings priced by their unit or unpriced", func(t *testing.T) {
		s := newSurface(t, nil)
		if _, err := s.gemini.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text(prompt), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.gemini.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text(prompt), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.gemini.Models.EmbedContent(ctx, "gemini-embedding-2", genai.Text(prompt), nil); err != nil {
			t.Fatal(err)
		}
		pred, err := s.vertex.Models.EmbedContent(ctx, "text-embedding-005", genai.Text(prompt), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, s.only(t, "count_tokens"), map[attribute.Key]any{
			semconv.CostStatus: "priced", semconv.CostUSD: 0.0, semconv.CostMissingUnit: nil,
		})
		emb := s.spans("embeddings")
		if len(emb) != 3 {
			t.Fatalf("%d embeddings spans, want 3", len(emb))
		}
		// gemini-embedding-001 answers without usage: the cost is unknown, not 0.
		wantAttrs(t, attrs(emb[0]), map[attribute.Key]any{semconv.CostStatus: "unpriced", semconv.CostUSD: nil})
		// gcp.gemini,gemini-embedding-2*,standard: input 0.20; the emulator counts 7 tokens.
		wantCost(t, attrs(emb[1]), 7*perM(0.20), semconv.ServiceTierStandard)
		// gcp.vertex_ai,text-embedding-005,standard: input_characters 0.025, billable characters only.
		wantCost(t, attrs(emb[2]), float64(pred.Metadata.BillableCharacterCount)*perM(0.025), semconv.ServiceTierStandard)
	})

	t.Run("cache creation billed as input", func(t *testing.T) {
		s := newSurface(t, nil)
		doc := strings.Repeat("The thermostat schedule: 21 degrees from six. ", 40)
		cc, err := s.gemini.Caches.Create(ctx, "gemini-2.5-flash", &genai.CreateCachedContentConfig{Contents: genai.Text(doc)})
		if err != nil {
			t.Fatal(err)
		}
		// The tokens written to the cache at gemini-2.5-flash's input rate; the storage
		// per token-hour is not priced (prices.csv says why).
		wantCost(t, s.only(t, "create_cache"), float64(cc.UsageMetadata.TotalTokenCount)*perM(0.30), semconv.ServiceTierStandard)
	})

	t.Run("batch results at the batch rate, job calls free", func(t *testing.T) {
		s := newSurface(t, nil)
		job, err := s.gemini.Batches.Create(ctx, "gemini-2.5-flash", &genai.BatchJobSource{InlinedRequests: []*genai.InlinedRequest{
			{Contents: genai.Text(prompt)}, {Contents: genai.Text("lock the front door")},
		}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var done *genai.BatchJob
		for done == nil || done.State != genai.JobStateSucceeded {
			if done, err = s.gemini.Batches.Get(ctx, job.Name, nil); err != nil {
				t.Fatal(err)
			}
		}
		results := s.spans("generate_content")
		if len(results) != 2 {
			t.Fatalf("%d results, want 2", len(results))
		}
		for n, r := range results {
			u := done.Dest.InlinedResponses[n].Response.UsageMetadata
			// gcp.gemini,gemini-2.5-flash,batch: input 0.15, output 1.25 (half the standard rate)
			want := float64(u.PromptTokenCount)*perM(0.15) + float64(u.CandidatesTokenCount+u.ThoughtsTokenCount)*perM(1.25)
			wantCost(t, attrs(r), want, semconv.ServiceTierBatch)
		}
		for _, j := range s.spans("batch") {
			wantAttrs(t, attrs(j), map[attribute.Key]any{semconv.CostStatus: "priced", semconv.CostUSD: 0.0})
		}
	})
}

// TestSurfaceCostsGroq prices Groq's Responses API and a batch job made through the real
// openai-go SDK against the emulator, from the rates of prices.csv.
func TestSurfaceCostsGroq(t *testing.T) {
	ctx := context.Background()

	t.Run("responses: cached input at the cached rate", func(t *testing.T) {
		s := newSurface(t, nil)
		params := responses.ResponseNewParams{
			Model: "openai/gpt-oss-20b",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(strings.Repeat("set the thermostat to 21 degrees. ", 40))},
		}
		var resp *responses.Response
		for range 2 { // the second call reads the prompt cache
			var err error
			if resp, err = s.groq.Responses.New(ctx, params); err != nil {
				t.Fatal(err)
			}
		}
		u := resp.Usage
		if u.InputTokensDetails.CachedTokens == 0 {
			t.Fatal("the second call read no cached tokens")
		}
		// groq,openai/gpt-oss-20b,standard: input 0.075, cached input 0.0375, output 0.30
		want := float64(u.InputTokens-u.InputTokensDetails.CachedTokens)*perM(0.075) +
			float64(u.InputTokensDetails.CachedTokens)*perM(0.0375) + float64(u.OutputTokens)*perM(0.30)
		wantCost(t, attrs(s.spans("chat")[1]), want, semconv.ServiceTierStandard)
	})

	t.Run("batch results at the batch rate", func(t *testing.T) {
		s := newSurface(t, nil)
		b := s.groqBatch(ctx, t)
		resp, err := s.groq.Files.Content(ctx, b.OutputFileID)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // the results are recorded as the app reads them
		_ = resp.Body.Close()
		// groq batch rows: llama-3.1-8b-instant input 0.025, output 0.04;
		// openai/gpt-oss-20b input 0.0375, output 0.15 (half the standard rates)
		rates := map[string][2]float64{"llama-3.1-8b-instant": {0.025, 0.04}, "openai/gpt-oss-20b": {0.0375, 0.15}}
		results := s.spans("chat")
		if len(results) != 2 {
			t.Fatalf("%d results, want 2", len(results))
		}
		for _, r := range results {
			a := attrs(r)
			rate, ok := rates[a[semconv.GenAIRequestModel].AsString()]
			if !ok {
				t.Fatalf("result of model %q", a[semconv.GenAIRequestModel].AsString())
			}
			want := float64(a[semconv.GenAIUsageInputTokens].AsInt64())*perM(rate[0]) +
				float64(a[semconv.GenAIUsageOutputTokens].AsInt64())*perM(rate[1])
			wantCost(t, a, want, semconv.ServiceTierBatch)
		}
	})
}

// wantCost asserts a priced span: its cost in USD, the tier whose rates priced it and no
// unit left without a rate.
func wantCost(t *testing.T, got map[attribute.Key]attribute.Value, usd float64, tier string) {
	t.Helper()
	if usd <= 0 {
		t.Fatalf("expected cost %g: the hand computation found no usage", usd)
	}
	wantAttrs(t, got, map[attribute.Key]any{
		semconv.CostStatus: "priced", semconv.CostUSD: usd, semconv.GenAIUsageCost: usd,
		semconv.CostServiceTier: tier, semconv.CostMissingUnit: nil,
	})
}
