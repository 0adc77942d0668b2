package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
)

// Endpoints of the providers the driver calls.
type ProviderURLs struct {
	// GroqBaseURL is the OpenAI-compatible base URL, e.g. https://api.groq.com/openai/v1.
	GroqBaseURL string
	GroqKey     string
	// GeminiBaseURL is the Gemini API root; empty means the real API.
	GeminiBaseURL string
	GeminiKey     string
	// VertexBaseURL is the Vertex AI root of the emulator; empty when Vertex AI is not
	// emulated (the demo calls the real Vertex AI never: it needs a Google Cloud project).
	VertexBaseURL string
}

// Outcome is what the SDK handed the app for one call: token counts read from the SDK's
// own response types, independently of the instrumentation.
type Outcome struct {
	Call Call
	// Status is the HTTP status the SDK reported: 200 on success.
	Status int
	Err    error
	// InputTokens and OutputTokens are billed counts: for Gemini, prompt plus tool-use
	// prompt and candidates plus thoughts.
	InputTokens, OutputTokens int64
	// CachedInputTokens are the input tokens the provider served from its prompt cache.
	CachedInputTokens int64
	// ResponseModel is the model the provider says answered.
	ResponseModel string
	// Units are the call's billed units when it is billed by more than token totals
	// (voice: the audio seconds sent, the characters spoken, tokens per modality), as
	// the app knows them from what it sent and what the SDK returned; nil otherwise.
	Units *instrumentation.Usage
	// Text is the answer the app got.
	Text string
}

// Driver makes the workload's calls through the real SDKs: openai-go for Groq and
// google.golang.org/genai for Gemini, both over the instrumentation's transport.
type Driver struct {
	groq   openai.Client
	gemini *genai.Client
	// attempts counts HTTP requests on the wire, below the instrumentation: one span each.
	attempts atomic.Int64
}

// NewDriver builds SDK clients for urls whose transport is inst's over base (nil:
// http.DefaultTransport).
func NewDriver(ctx context.Context, inst *instrumentation.Instrumentation, base http.RoundTripper, urls ProviderURLs) (*Driver, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	d := &Driver{}
	hc := &http.Client{Transport: inst.Transport(countingTransport{base, &d.attempts})}
	// No SDK retries: a voice assistant answers "try again later" rather than waiting, and
	// every attempt would be another billed call.
	d.groq = openai.NewClient(
		option.WithBaseURL(urls.GroqBaseURL),
		option.WithAPIKey(urls.GroqKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(hc))
	gemini, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      urls.GeminiKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: urls.GeminiBaseURL},
	})
	if err != nil {
		return nil, fmt.Errorf("gemini client: %w", err)
	}
	d.gemini = gemini
	return d, nil
}

// Attempts is the number of HTTP requests made so far.
func (d *Driver) Attempts() int64 { return d.attempts.Load() }

// Run makes calls with workers concurrent callers, reporting each outcome to done (if
// not nil) as it completes, and returns the outcomes in plan order. It stops early when
// ctx ends.
func (d *Driver) Run(ctx context.Context, calls []Call, workers int, done func(Outcome)) []Outcome {
	out := make([]Outcome, len(calls))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range next {
				o := d.Do(ctx, calls[i])
				out[i] = o
				if done != nil {
					mu.Lock()
					done(o)
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range calls {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out
}

// Do makes one call with its attribution on the context.
func (d *Driver) Do(ctx context.Context, c Call) Outcome {
	ctx = instrumentation.WithAttribution(ctx, c.Attribution)
	if c.Provider == instrumentation.Gemini {
		return d.doGemini(ctx, c)
	}
	return d.doGroq(ctx, c)
}

func (d *Driver) doGroq(ctx context.Context, c Call) Outcome {
	system, user := c.prompt()
	params := openai.ChatCompletionNewParams{
		Model: c.Model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(system),
			openai.UserMessage(user),
		},
	}
	o := Outcome{Call: c}
	if !c.Stream {
		resp, err := d.groq.Chat.Completions.New(ctx, params)
		if err != nil {
			return failed(o, err)
		}
		o.Status = http.StatusOK
		o.InputTokens, o.OutputTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		o.CachedInputTokens = resp.Usage.PromptTokensDetails.CachedTokens
		o.ResponseModel = resp.Model
		if len(resp.Choices) > 0 {
			o.Text = resp.Choices[0].Message.Content
		}
		return o
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	s := d.groq.Chat.Completions.NewStreaming(ctx, params)
	defer s.Close()
	for s.Next() {
		ch := s.Current()
		if ch.Model != "" {
			o.ResponseModel = ch.Model
		}
		if len(ch.Choices) > 0 {
			o.Text += ch.Choices[0].Delta.Content
		}
		// The usage chunk comes last; the counts are totals, not increments.
		if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens > 0 {
			o.InputTokens, o.OutputTokens = ch.Usage.PromptTokens, ch.Usage.CompletionTokens
			o.CachedInputTokens = ch.Usage.PromptTokensDetails.CachedTokens
		}
	}
	if err := s.Err(); err != nil {
		return failed(o, err)
	}
	o.Status = http.StatusOK
	return o
}

func (d *Driver) doGemini(ctx context.Context, c Call) Outcome {
	system, user := c.prompt()
	cfg := &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText(system, genai.RoleUser)}
	o := Outcome{Call: c}
	record := func(resp *genai.GenerateContentResponse) {
		o.Text += resp.Text()
		if resp.ModelVersion != "" {
			o.ResponseModel = resp.ModelVersion
		}
		// Stream chunks carry cumulative counts: the last ones with counts are the call's.
		if u := resp.UsageMetadata; u != nil && u.TotalTokenCount > 0 {
			o.InputTokens = int64(u.PromptTokenCount) + int64(u.ToolUsePromptTokenCount)
			o.OutputTokens = int64(u.CandidatesTokenCount) + int64(u.ThoughtsTokenCount)
			o.CachedInputTokens = int64(u.CachedContentTokenCount)
		}
	}
	if !c.Stream {
		resp, err := d.gemini.Models.GenerateContent(ctx, c.Model, genai.Text(user), cfg)
		if err != nil {
			return failed(o, err)
		}
		record(resp)
		o.Status = http.StatusOK
		return o
	}
	for resp, err := range d.gemini.Models.GenerateContentStream(ctx, c.Model, genai.Text(user), cfg) {
		if err != nil {
			return failed(o, err)
		}
		record(resp)
	}
	o.Status = http.StatusOK
	return o
}

// failed records err and the HTTP status either SDK attached to it.
func failed(o Outcome, err error) Outcome {
	o.Err = err
	var oe *openai.Error
	var ge genai.APIError
	switch {
	case errors.As(err, &oe):
		o.Status = oe.StatusCode
	case errors.As(err, &ge):
		o.Status = ge.Code
	}
	// Tokens of a failed call are not billed.
	o.InputTokens, o.OutputTokens, o.CachedInputTokens, o.Units = 0, 0, 0, nil
	return o
}

// countingTransport counts requests that reach the wire.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(req)
}
