package emulator_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/emulator"
)

// The forecast tests drive the real SDKs through the instrumentation into the emulator on
// one simulated clock, a call every interval, at a rate that rises: first below what the
// quota window gives back (the forecast must say it does not run out before it resets),
// then above it. Once the rate has settled (four time constants of its smoothing), the
// predicted exhaustion is taken and the calls go on until the emulated provider first
// answers 429. The prediction must be within 10% of the time that was actually left.

// phase is a stretch of calls at one rate.
type phase struct {
	every time.Duration
	for_  time.Duration // 0: until the first 429
}

// forecastRun is the outcome of driving phases.
type forecastRun struct {
	lowForecast string        // the forecast at the end of the first phase
	predictedAt time.Time     // when the prediction was taken
	predicted   time.Time     // the exhaustion it predicted
	refusedAt   time.Time     // the first 429
	remaining   time.Duration // refusedAt - predictedAt
}

// drive runs phases, calling call at each step (it reports whether the provider answered
// 429) and reading the forecast of the window from inst: at the end of the first phase,
// and settle into the last one.
func drive(t *testing.T, clk *clock, inst *instrumentation.Instrumentation, resource, window string, phases []phase, settle time.Duration, call func() (limited bool)) forecastRun {
	t.Helper()
	state := func() quota.State {
		for _, s := range inst.Quota() {
			if s.Resource == resource && s.Window == window {
				return s
			}
		}
		t.Fatalf("no %s per %s quota in %+v", resource, window, inst.Quota())
		return quota.State{}
	}
	var run forecastRun
	for i, p := range phases {
		last := i == len(phases)-1
		start := clk.Now()
		for n := 0; ; n++ {
			if call() {
				if !last {
					t.Fatalf("429 in phase %d at %s", i, clk.Now())
				}
				run.refusedAt = clk.Now()
				run.remaining = run.refusedAt.Sub(run.predictedAt)
				return run
			}
			elapsed := clk.Now().Sub(start)
			if last && run.predictedAt.IsZero() && elapsed >= settle {
				s := state()
				if s.Forecast != semconv.ForecastBeforeReset {
					t.Fatalf("after %s at the high rate: forecast %s, want %s (%+v)", elapsed, s.Forecast, semconv.ForecastBeforeReset, s)
				}
				run.predictedAt, run.predicted = clk.Now(), s.ExhaustsAt
			}
			if n > 100_000 {
				t.Fatal("the quota never ran out")
			}
			clk.Advance(p.every)
			if !last && clk.Now().Sub(start) >= p.for_ {
				break
			}
		}
		if i == 0 {
			run.lowForecast = state().Forecast
		}
	}
	return run
}

func (r forecastRun) check(t *testing.T) {
	t.Helper()
	if r.lowForecast != semconv.ForecastNotBeforeReset {
		t.Errorf("below the window's pace: forecast %s, want %s", r.lowForecast, semconv.ForecastNotBeforeReset)
	}
	predicted := r.predicted.Sub(r.predictedAt)
	off := math.Abs(predicted.Seconds()-r.remaining.Seconds()) / r.remaining.Seconds()
	t.Logf("forecast at %s: runs out in %s; the first 429 came %s later (off by %.1f%%)",
		r.predictedAt.Format(time.TimeOnly), predicted.Round(time.Second), r.remaining.Round(time.Second), 100*off)
	if off > 0.10 {
		t.Errorf("predicted exhaustion %s, first 429 at %s: off by %.1f%% of the %s left, want within 10%%",
			r.predicted, r.refusedAt, 100*off, r.remaining)
	}
}

// instrumented returns an Instrumentation on clk with srv mapped to provider.
func instrumented(t *testing.T, clk *clock, srv *httptest.Server, p instrumentation.Provider, opts ...instrumentation.Option) *instrumentation.Instrumentation {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	inst, err := instrumentation.New(append([]instrumentation.Option{
		instrumentation.WithTracerProvider(tp), instrumentation.WithMeterProvider(mp),
		instrumentation.WithHost(u.Host, p), instrumentation.WithQuotaClock(clk.Now),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestForecastGroqTokenWindow: Groq's tokens per minute, a bucket that refills 150
// tokens a second. 30 tokens a call (15 prompt, 15 reply): 3 calls a second (90 tokens)
// never empty it, 8 a second (240) drain it at about 90 a second.
func TestForecastGroqTokenWindow(t *testing.T) {
	const model = "llama-3.1-8b-instant"
	env := newEnv(t, emulator.Config{GroqModelLimits: map[string]emulator.GroqLimits{
		model: {RequestsPerDay: 1_000_000, TokensPerMinute: 9000},
	}})
	inst := instrumented(t, env.clock, env.groq, instrumentation.Groq)
	client := openai.NewClient(option.WithBaseURL(env.groq.URL+"/openai/v1"), option.WithAPIKey("gsk_test"),
		option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: inst.Transport(nil)}))
	prompt := "Turn the kitchen lights on, please, at fifty percent now." // 15 tokens
	if n := emulator.CountTokens(prompt); n != 15 {
		t.Fatalf("prompt is %d tokens", n)
	}
	run := drive(t, env.clock, inst, semconv.ResourceTokens, semconv.WindowMinute,
		[]phase{{every: time.Second / 3, for_: time.Minute}, {every: time.Second / 8}}, 40*time.Second,
		func() bool {
			_, err := client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
				Model:    model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
			})
			var apiErr *openai.Error
			if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests {
				return true
			}
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			return false
		})
	run.check(t)
}

// TestForecastGeminiRequestWindow: Gemini's requests per day, counted by the app against
// its configured limit and ending at midnight Pacific. From noon Pacific, 1 call a minute
// would use 720 of the 1000 before midnight; 10 a minute use them up in about 1.5 hours.
func TestForecastGeminiRequestWindow(t *testing.T) {
	const model = "gemini-2.5-flash"
	env := newEnv(t, emulator.Config{GeminiModelLimits: map[string]emulator.GeminiLimits{
		model: {RequestsPerDay: 1000},
	}})
	env.clock.Advance(2 * time.Hour) // 12:00 Pacific
	inst := instrumented(t, env.clock, env.gemini, instrumentation.Gemini,
		instrumentation.WithLimits(quota.Limit{Provider: instrumentation.Gemini, Model: model, RequestsPerDay: 1000}))
	client, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		APIKey: "gemini_test", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: env.gemini.URL},
		HTTPClient:  &http.Client{Transport: inst.Transport(nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := drive(t, env.clock, inst, semconv.ResourceRequests, semconv.WindowDay,
		[]phase{{every: time.Minute, for_: time.Hour}, {every: 6 * time.Second}}, time.Hour,
		func() bool {
			_, err := client.Models.GenerateContent(t.Context(), model, genai.Text("Dim the hallway."), nil)
			var apiErr genai.APIError
			if errors.As(err, &apiErr) && apiErr.Code == http.StatusTooManyRequests {
				return true
			}
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			return false
		})
	run.check(t)
}
