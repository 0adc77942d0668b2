package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/httptransport"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/internal/emulator"
)

// SurfaceRun is what the demo's provider-surface workload did: the calls beyond chat
// and content generation (Vertex AI, service tiers, grounding, token counting,
// embeddings, an explicit cache, batch jobs, Groq's Responses API), made through the
// same SDKs and instrumentation as the voice-assistant calls.
type SurfaceRun struct {
	attempts atomic.Int64
	// done counts the calls made, by provider and operation as the app sees them.
	done map[string]int
}

// Attempts is the number of HTTP requests the workload made: one stored row each (batch
// results add rows of their own). Zero for a nil run.
func (s *SurfaceRun) Attempts() int64 {
	if s == nil {
		return 0
	}
	return s.attempts.Load()
}

// surfaceClients are the SDK clients of the workload, over the instrumentation.
type surfaceClients struct {
	gemini, vertex *genai.Client
	groq           openai.Client
}

// RunSurface makes the provider-surface calls against the emulated providers in urls.
func RunSurface(ctx context.Context, inst *instrumentation.Instrumentation, urls ProviderURLs) (*SurfaceRun, error) {
	run := &SurfaceRun{done: map[string]int{}}
	hc := &http.Client{Transport: inst.Transport(countingTransport{http.DefaultTransport, &run.attempts})}
	var c surfaceClients
	var err error
	if c.gemini, err = genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: urls.GeminiKey, Backend: genai.BackendGeminiAPI, HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: urls.GeminiBaseURL},
	}); err != nil {
		return nil, fmt.Errorf("gemini client: %w", err)
	}
	// Vertex AI authenticates with OAuth; the emulator takes any token.
	creds := auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: demoToken{}})
	vc, err := httptransport.NewClient(&httptransport.Options{Credentials: creds, BaseRoundTripper: hc.Transport})
	if err != nil {
		return nil, fmt.Errorf("vertex ai client: %w", err)
	}
	if c.vertex, err = genai.NewClient(ctx, &genai.ClientConfig{
		Backend: genai.BackendVertexAI, Project: "demo-project", Location: "us-central1", HTTPClient: vc,
		HTTPOptions: genai.HTTPOptions{BaseURL: urls.VertexBaseURL},
	}); err != nil {
		return nil, fmt.Errorf("vertex ai client: %w", err)
	}
	c.groq = openai.NewClient(option.WithBaseURL(urls.GroqBaseURL), option.WithAPIKey(urls.GroqKey),
		option.WithMaxRetries(0), option.WithHTTPClient(hc))

	for _, step := range surfaceSteps {
		actx := instrumentation.WithAttribution(ctx, step.who)
		if err := step.do(actx, &c); err != nil {
			return nil, fmt.Errorf("provider surface: %s: %w", step.name, err)
		}
		run.done[step.name]++
	}
	return run, nil
}

// demoToken is the OAuth token the demo shows Vertex AI.
type demoToken struct{}

func (demoToken) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{Value: "ya29.demo", Type: "Bearer"}, nil
}

// surfaceStep is one call (or job) of the workload.
type surfaceStep struct {
	name string
	who  instrumentation.Attribution
	do   func(context.Context, *surfaceClients) error
}

// The workload: the home assistant searches, summarises at flex and priority, counts
// tokens before long prompts, embeds notes and caches its manual; the car assistant
// runs on Vertex AI; a nightly job batches the day's summaries on both providers.
var surfaceSteps = func() []surfaceStep {
	home := func(user, action string) instrumentation.Attribution {
		return instrumentation.Attribution{UserID: user, ProjectID: "home-assistant", Action: action}
	}
	car := func(user, action string) instrumentation.Attribution {
		return instrumentation.Attribution{UserID: user, ProjectID: "car-assistant", Action: action}
	}
	search := &genai.GenerateContentConfig{Tools: []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}}
	tier := func(t genai.ServiceTier) *genai.GenerateContentConfig {
		return &genai.GenerateContentConfig{ServiceTier: t}
	}
	flexHeaders := &genai.GenerateContentConfig{HTTPOptions: &genai.HTTPOptions{Headers: http.Header{
		"X-Vertex-AI-LLM-Request-Type": {"shared"}, "X-Vertex-AI-LLM-Shared-Request-Type": {"flex"}}}}
	generate := func(client func(*surfaceClients) *genai.Client, model, text string, cfg *genai.GenerateContentConfig) func(context.Context, *surfaceClients) error {
		return func(ctx context.Context, c *surfaceClients) error {
			_, err := client(c).Models.GenerateContent(ctx, model, genai.Text(text), cfg)
			return err
		}
	}
	stream := func(client func(*surfaceClients) *genai.Client, model, text string, cfg *genai.GenerateContentConfig) func(context.Context, *surfaceClients) error {
		return func(ctx context.Context, c *surfaceClients) error {
			for _, err := range client(c).Models.GenerateContentStream(ctx, model, genai.Text(text), cfg) {
				if err != nil {
					return err
				}
			}
			return nil
		}
	}
	count := func(client func(*surfaceClients) *genai.Client, text string) func(context.Context, *surfaceClients) error {
		return func(ctx context.Context, c *surfaceClients) error {
			_, err := client(c).Models.CountTokens(ctx, GeminiReplyModel, genai.Text(text), nil)
			return err
		}
	}
	embed := func(client func(*surfaceClients) *genai.Client, model, text string) func(context.Context, *surfaceClients) error {
		return func(ctx context.Context, c *surfaceClients) error {
			_, err := client(c).Models.EmbedContent(ctx, model, genai.Text(text), nil)
			return err
		}
	}
	gem := func(c *surfaceClients) *genai.Client { return c.gemini }
	vtx := func(c *surfaceClients) *genai.Client { return c.vertex }
	manual := strings.Repeat("Thermostat schedule: 21 degrees from six, 18 after ten; lights off at midnight. ", 60)
	return []surfaceStep{
		{"gemini grounded answer", home("ana", "search"), generate(gem, GeminiReplyModel, "what's the weather tomorrow morning", search)},
		{"gemini summary at flex", home("ben", "summary"), generate(gem, GeminiReplyModel, "summarise today's energy use", tier(genai.ServiceTierFlex))},
		{"gemini summary at flex", home("chloe", "summary"), generate(gem, GeminiReplyModel, "summarise the week's deliveries", tier(genai.ServiceTierFlex))},
		{"gemini priority answer", home("ana", "intent"), generate(gem, GeminiReplyModel, "is the garage door closed", tier(genai.ServiceTierPriority))},
		{"gemini priority asked, standard served", home("dmitri", "intent"), generate(gem, GeminiReplyModel, "lock the front door "+emulator.PriorityBusyTrigger, tier(genai.ServiceTierPriority))},
		{"gemini count tokens", home("ben", "count"), count(gem, manual)},
		{"gemini count tokens", home("emeka", "count"), count(gem, "read me my calendar for this afternoon")},
		{"gemini embeddings (no usage reported)", home("fatima", "embed"), embed(gem, "gemini-embedding-001", "oat milk, eggs, coffee")},
		{"gemini embeddings (no usage reported)", home("ana", "embed"), embed(gem, "gemini-embedding-001", "water the plants at six")},
		{"gemini embeddings", home("chloe", "embed"), embed(gem, "gemini-embedding-2", "jazz in the bedroom")},
		{"gemini explicit cache", home("ben", "cache"), func(ctx context.Context, c *surfaceClients) error {
			_, err := c.gemini.Caches.Create(ctx, GeminiReplyModel, &genai.CreateCachedContentConfig{Contents: genai.Text(manual)})
			return err
		}},
		{"gemini batch job", home("nightly", "batch"), geminiBatch},
		{"vertex ai answer", car("emeka", "reply"), generate(vtx, GeminiReplyModel, "navigate to the nearest charging station", nil)},
		{"vertex ai answer", car("fatima", "reply"), generate(vtx, GeminiIntentModel, "turn the heated seats on", nil)},
		{"vertex ai stream at flex", car("dmitri", "reply"), stream(vtx, GeminiReplyModel, "how long is my commute today", flexHeaders)},
		{"vertex ai grounded answer", car("emeka", "search"), generate(vtx, GeminiReplyModel, "traffic on the ring road", search)},
		{"vertex ai count tokens", car("fatima", "count"), count(vtx, "call mum on speaker")},
		{"vertex ai embeddings", car("dmitri", "embed"), embed(vtx, "text-embedding-005", "charging stations near the office")},
		{"vertex ai embeddings", car("emeka", "embed"), embed(vtx, "gemini-embedding-001", "favourite petrol station")},
		{"groq responses", home("chloe", "reply"), groqResponse(false, "")},
		{"groq responses stream", home("dmitri", "reply"), groqResponse(true, "")},
		{"groq responses at flex", home("fatima", "reply"), groqResponse(false, responses.ResponseNewParamsServiceTierFlex)},
		{"groq batch job", home("nightly", "batch"), groqBatch},
	}
}()

// groqResponse asks Groq's Responses API, streaming or not, at tier ("" for on demand).
func groqResponse(stream bool, tier responses.ResponseNewParamsServiceTier) func(context.Context, *surfaceClients) error {
	return func(ctx context.Context, c *surfaceClients) error {
		p := responses.ResponseNewParams{
			Model: GroqReplyModel, Instructions: openai.String("You are a home voice assistant. Answer in one sentence."),
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("remind me to water the plants at six")}, ServiceTier: tier,
		}
		if !stream {
			_, err := c.groq.Responses.New(ctx, p)
			return err
		}
		s := c.groq.Responses.NewStreaming(ctx, p)
		defer s.Close()
		for s.Next() {
		}
		return s.Err()
	}
}

// geminiBatch submits four summaries as a Gemini batch and polls it until done, and once
// more, as apps do: the results are billed once, at the batch rate.
func geminiBatch(ctx context.Context, c *surfaceClients) error {
	var reqs []*genai.InlinedRequest
	for i, text := range []string{"summarise the kitchen's day", "summarise the garden's day", "summarise the garage's day", "summarise the nursery's day"} {
		reqs = append(reqs, &genai.InlinedRequest{Contents: genai.Text(text), Metadata: map[string]string{"key": fmt.Sprint(i)}})
	}
	job, err := c.gemini.Batches.Create(ctx, GeminiReplyModel, &genai.BatchJobSource{InlinedRequests: reqs}, nil)
	if err != nil {
		return err
	}
	for polls := 0; polls < 10; polls++ {
		if job, err = c.gemini.Batches.Get(ctx, job.Name, nil); err != nil {
			return err
		}
		if job.State == genai.JobStateSucceeded {
			_, err = c.gemini.Batches.Get(ctx, job.Name, nil) // a poll after the end
			return err
		}
	}
	return fmt.Errorf("batch %s still %s", job.Name, job.State)
}

// groqBatch uploads three chat requests, runs them as a Groq batch, polls it until done
// and downloads the results.
func groqBatch(ctx context.Context, c *surfaceClients) error {
	var in strings.Builder
	for i, text := range []string{"summarise the living room's day", "summarise the hallway's day", "summarise the study's day"} {
		fmt.Fprintf(&in, `{"custom_id":"%d","method":"POST","url":"/v1/chat/completions","body":{"model":%q,"messages":[{"role":"user","content":%q}]}}`+"\n", i, GroqIntentModel, text)
	}
	f, err := c.groq.Files.New(ctx, openai.FileNewParams{File: openai.File(strings.NewReader(in.String()), "summaries.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	if err != nil {
		return err
	}
	b, err := c.groq.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		return err
	}
	for polls := 0; b.Status != openai.BatchStatusCompleted; polls++ {
		if polls == 10 {
			return fmt.Errorf("batch %s still %s", b.ID, b.Status)
		}
		if b, err = c.groq.Batches.Get(ctx, b.ID); err != nil {
			return err
		}
	}
	resp, err := c.groq.Files.Content(ctx, b.OutputFileID)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// Summary describes the calls of the workload.
func (s *SurfaceRun) Summary() string {
	names := make([]string, 0, len(s.done))
	for n := range s.done {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "Provider surface (%d HTTP requests; the cost report prices each by tier):\n", s.Attempts())
	for _, n := range names {
		fmt.Fprintf(&b, "  %-42s %2d\n", n, s.done[n])
	}
	return strings.TrimRight(b.String(), "\n")
}
