// Package demo runs the whole aiusage system on one machine: the otelcol-aiusage
// collector, emulated (or, with API keys, real) Groq and Gemini, and a voice-assistant
// workload driven through the real SDKs with the instrumentation; then it prints the
// reports from the collector's report endpoint. `aiusage demo` is its command; the
// end-to-end test and the collector load run reuse its parts.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/internal/emulator"
)

// Options configure a demo run.
type Options struct {
	// Collector is the otelcol-aiusage binary; Config its configuration file.
	Collector, Config string
	// Dir receives the DuckDB file, the queue and the collector log; empty means a new
	// temporary directory, which is kept so the database can be opened afterwards.
	Dir string
	// Calls is how many calls to make against the emulator; with real providers at most
	// RealCalls are made.
	Calls, RealCalls int
	// Workers is how many calls run at once.
	Workers int
	// Keep leaves the collector (and emulator) running after the reports until ctx ends,
	// so Prometheus and Grafana can be looked at.
	Keep bool
	// Getenv reads GROQ_API_KEY and GEMINI_API_KEY; nil means os.Getenv.
	Getenv func(string) string
	// Stdout gets the reports, Stderr the progress line.
	Stdout, Stderr io.Writer
}

// ServiceName is the service.name the demo app reports as: the job label in Prometheus
// and service_name in DuckDB.
const ServiceName = "voice-assistant"

// EmulatorConfig is the demo's emulated quota: low enough that a few hundred calls run
// into Groq's requests-per-day and Gemini's requests-per-minute limits.
func EmulatorConfig() emulator.Config {
	return emulator.Config{
		ChunkDelay: 2 * time.Millisecond,
		GroqModelLimits: map[string]emulator.GroqLimits{
			GroqIntentModel: {RequestsPerDay: 60, TokensPerMinute: 30000},
			GroqReplyModel:  {RequestsPerDay: 1000, TokensPerMinute: 30000},
			UnpricedModel:   {RequestsPerDay: 1000, TokensPerMinute: 30000},
		},
		GeminiModelLimits: map[string]emulator.GeminiLimits{
			GeminiReplyModel: GeminiLimits(),
		},
	}
}

// GeminiLimits are the limits of GeminiReplyModel, both in the emulator and as the
// instrumentation's configured limits: Gemini sends no quota headers, so the app counts.
func GeminiLimits() emulator.GeminiLimits {
	return emulator.GeminiLimits{RequestsPerMinute: 40, RequestsPerDay: 250, TokensPerMinute: 250000}
}

// NewInstrumentation instruments the app as the demo does: telemetry to tel, emulator
// addresses in urls mapped to their providers, and limits for Gemini, which sends no
// quota headers: the emulator's when Gemini is emulated, else the free tier's.
func NewInstrumentation(tel *Telemetry, urls ProviderURLs) (*instrumentation.Instrumentation, error) {
	opts := []instrumentation.Option{
		instrumentation.WithTracerProvider(tel.Tracer),
		instrumentation.WithMeterProvider(tel.Meter),
	}
	geminiLimits := realGeminiLimits
	for _, h := range []struct {
		base string
		p    instrumentation.Provider
	}{{urls.GroqBaseURL, instrumentation.Groq}, {urls.GeminiBaseURL, instrumentation.Gemini}, {urls.VertexBaseURL, instrumentation.VertexAI}} {
		// Real provider hosts are known to the instrumentation; loopback ones are emulators.
		if u, err := url.Parse(h.base); err == nil && u.Hostname() == "127.0.0.1" {
			opts = append(opts, instrumentation.WithHost(u.Host, h.p))
			if h.p == instrumentation.Gemini {
				geminiLimits = GeminiLimits()
			}
		}
	}
	opts = append(opts, instrumentation.WithLimits(quota.Limit{
		Provider: instrumentation.Gemini, Model: GeminiReplyModel,
		RequestsPerMinute: int64(geminiLimits.RequestsPerMinute),
		RequestsPerDay:    int64(geminiLimits.RequestsPerDay),
		TokensPerMinute:   int64(geminiLimits.TokensPerMinute),
	}))
	inst, err := instrumentation.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("instrumentation: %w", err)
	}
	return inst, nil
}

// realGeminiLimits are the free-tier limits last published for Gemini 2.5 Flash; Google
// changes them without notice, so a real deployment configures its own.
var realGeminiLimits = emulator.GeminiLimits{RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 250000}

// Run runs the demo until its reports are printed (or, with Keep, until ctx ends) and
// stops everything it started, also when ctx ends early.
func Run(ctx context.Context, o Options) (err error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "aiusage-demo-"); err != nil {
			return fmt.Errorf("demo directory: %w", err)
		}
	}
	logPath := filepath.Join(o.Dir, "collector.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("collector log: %w", err)
	}
	defer logFile.Close()
	budgets, err := StartBudgetListener(o.Dir)
	if err != nil {
		return err
	}
	defer budgets.Stop(context.Background()) //nolint:errcheck // the demo is over

	fmt.Fprintf(o.Stdout, "Starting the collector (%s, log %s)...\n", o.Collector, logPath)
	col, err := StartCollector(ctx, CollectorOptions{
		Binary: o.Collector, Config: o.Config, Dir: o.Dir, PreferDefaultPorts: true, Log: logFile,
		// Short batching so the reports are ready moments after the last call.
		Env: append([]string{"AIUSAGE_BATCH_TIMEOUT=200ms"}, budgets.Env...),
	})
	if err != nil {
		return fmt.Errorf("%w (collector log: %s)", err, logPath)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if serr := col.Stop(stopCtx); serr != nil {
			err = errors.Join(err, serr)
		}
	}()

	urls, providers, stopEmulator, err := providersFor(o)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if stopEmulator != nil {
			err = errors.Join(err, stopEmulator(stopCtx))
		}
	}()

	tel, err := NewTelemetry(ctx, col.Endpoints.OTLPGRPC, ServiceName, 2*time.Second)
	if err != nil {
		return err
	}
	inst, err := NewInstrumentation(tel, urls)
	if err != nil {
		return err
	}
	driver, err := NewDriver(ctx, inst, nil, urls)
	if err != nil {
		return err
	}

	// The voice pipeline first, while the emulated quotas have room: it needs both
	// providers and the emulator's Live endpoint.
	voice := stopEmulator != nil
	if voice {
		fmt.Fprintln(o.Stdout, "Running the voice pipeline once: speech-to-text, translation, chat, text-to-speech on Groq and Gemini, a Live session...")
		PrintVoice(o.Stdout, driver.RunVoice(ctx, inst, urls, VoiceAttribution))
		fmt.Fprintln(o.Stdout)
	}

	// The provider surface next, before the workload spends the emulated quotas: each
	// of its calls must succeed for the reports to show it.
	var surface *SurfaceRun
	if stopEmulator != nil {
		if surface, err = RunSurface(ctx, inst, urls); err != nil {
			return err
		}
	}

	n := o.Calls
	if stopEmulator == nil {
		n = min(n, o.RealCalls)
	}
	calls := Plan(n, 2026, providers...)
	fmt.Fprintf(o.Stdout, "Driving %d voice-assistant calls from %d users in %d projects through openai-go and genai...\n",
		len(calls), len(userNames), len(projects))
	prog := newProgress(o.Stderr, len(calls))
	outcomes := driver.Run(ctx, calls, o.Workers, prog.add)
	prog.finish()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d of %d calls; stopping the collector and the emulator", prog.done, len(calls))
	}

	flushCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Shutdown(flushCtx); err != nil {
		return fmt.Errorf("flush telemetry to the collector: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep := &Reporter{URL: col.Endpoints.ReportsURL()}
	if err := rep.WaitStored(ctx, driver.Attempts()+surface.Attempts()); err != nil {
		return err
	}
	fmt.Fprintln(o.Stdout)
	fmt.Fprintln(o.Stdout, Summarize(outcomes))
	if surface != nil {
		fmt.Fprintln(o.Stdout)
		fmt.Fprintln(o.Stdout, surface.Summary())
	}
	fmt.Fprintln(o.Stdout)
	fmt.Fprintln(o.Stdout, Forecast(inst.Quota(), time.Now()))
	budgets.Wait(ctx, 15*time.Second)
	budgets.Print(o.Stdout)
	if err := rep.Print(ctx, o.Stdout); err != nil {
		return err
	}
	if voice {
		if err := rep.PrintVoice(ctx, o.Stdout); err != nil {
			return err
		}
	}
	printNext(o.Stdout, col, o.Dir, o.Keep)
	if o.Keep {
		fmt.Fprintln(o.Stdout, "\nThe collector keeps running (-keep); press Ctrl-C to stop it.")
		<-ctx.Done()
	}
	return nil
}

// providersFor decides which providers the demo calls: the real ones whose API key is
// set, else both emulated. stop is nil when nothing was emulated.
func providersFor(o Options) (urls ProviderURLs, providers []instrumentation.Provider, stop func(context.Context) error, err error) {
	groqKey, geminiKey := o.Getenv("GROQ_API_KEY"), o.Getenv("GEMINI_API_KEY")
	if groqKey != "" || geminiKey != "" {
		if groqKey != "" {
			urls.GroqBaseURL, urls.GroqKey = "https://api.groq.com/openai/v1", groqKey
			providers = append(providers, instrumentation.Groq)
		}
		if geminiKey != "" {
			urls.GeminiKey = geminiKey
			providers = append(providers, instrumentation.Gemini)
		}
		fmt.Fprintf(o.Stdout, "Calling the real providers %v (API keys set); the others are left out.\n", providers)
		return urls, providers, nil, nil
	}
	emu, err := StartEmulator()
	if err != nil {
		return urls, nil, nil, err
	}
	fmt.Fprintf(o.Stdout, "Emulating Groq at %s and Gemini at %s (set GROQ_API_KEY / GEMINI_API_KEY to call the real ones).\n",
		emu.URLs.GroqBaseURL, emu.URLs.GeminiBaseURL)
	return emu.URLs, []instrumentation.Provider{instrumentation.Groq, instrumentation.Gemini}, emu.Stop, nil
}

// printNext says where to look after the demo.
func printNext(w io.Writer, col *Collector, dir string, keep bool) {
	live := "(run aiusage demo -keep to keep the collector up for these)"
	if keep {
		live = "(while the collector runs, until Ctrl-C)"
	}
	fmt.Fprintf(w, `
Where to look next
  %s
  Reports from the collector:         aiusage report users --server %s
  Budgets, spend and projection:      aiusage budgets list --server %[2]s
  Prometheus scrape endpoint:         %s
  Prometheus with the alert rules:    prometheus --config.file=collector-config/prometheus/prometheus.yml
  Grafana dashboard:                  collector-config/grafana/dashboards/aiusage.json
    provisioning (data source = that Prometheus): collector-config/grafana/provisioning
  DuckDB file:                        %s
    once the collector has stopped:   aiusage report daily --db %s
                                      duckdb -readonly %s "SELECT * FROM ai_usage_log LIMIT 5"
  Collector log:                      %s
`, live, col.Endpoints.ReportsURL(), col.Endpoints.PrometheusURL(), col.DB, col.DB, col.DB, filepath.Join(dir, "collector.log"))
}
