package e2e

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
	"github.com/aiusage/aiusage/internal/demo"
	"github.com/aiusage/aiusage/queries"
)

const (
	// calls is the size of the workload; chunk how many calls run between two flushes,
	// so Prometheus scrapes every counter rising several times.
	calls = 240
	chunk = 40
	// service is the test app's service.name: the job label in Prometheus.
	service = "e2e-voice"
)

// key names a provider and a model.
type key struct{ provider, model string }

// totals are what the SDKs handed the app, added up.
type totals struct {
	calls, ok, rateLimited, failed int64
	input, output, cached          int64
	streamedOK                     int64
}

// expected is the workload's outcome computed from the SDKs' return values alone,
// independently of the instrumentation and the collector.
type expected struct {
	byUser         map[string]*totals
	byModel        map[key]*totals // response model, else request model: what reports group by
	byRequestModel map[key]*totals // what metric points are labelled with
	cost           map[key]float64 // priced with the embedded price table, by response model
	unpriced       map[key]int64
}

func expect(t *testing.T, outcomes []demo.Outcome) expected {
	t.Helper()
	e := expected{
		byUser: map[string]*totals{}, byModel: map[key]*totals{}, byRequestModel: map[key]*totals{},
		cost: map[key]float64{}, unpriced: map[key]int64{},
	}
	get := func(m map[key]*totals, k key) *totals {
		if m[k] == nil {
			m[k] = &totals{}
		}
		return m[k]
	}
	prices := pricing.Default()
	for _, o := range outcomes {
		c := o.Call
		if e.byUser[c.Attribution.UserID] == nil {
			e.byUser[c.Attribution.UserID] = &totals{}
		}
		model := c.Model
		if o.ResponseModel != "" {
			model = o.ResponseModel
		}
		for _, tt := range []*totals{e.byUser[c.Attribution.UserID], get(e.byModel, key{string(c.Provider), model}), get(e.byRequestModel, key{string(c.Provider), c.Model})} {
			tt.calls++
			switch {
			case o.Err == nil:
				tt.ok++
				if c.Stream {
					tt.streamedOK++
				}
			case o.Status == http.StatusTooManyRequests:
				tt.rateLimited++
			default:
				tt.failed++
			}
			tt.input += o.InputTokens
			tt.output += o.OutputTokens
			tt.cached += o.CachedInputTokens
		}
		if o.Err != nil {
			continue
		}
		k := key{string(c.Provider), model}
		billed := usage.Usage{InputTokens: o.InputTokens, OutputTokens: o.OutputTokens, CacheReadInputTokens: o.CachedInputTokens}
		if o.Units != nil { // voice: audio seconds, characters, tokens per modality
			billed = *o.Units
		}
		usd, ok := prices.Cost(k.provider, k.model, billed, time.Now())
		if ok {
			e.cost[k] += usd
		} else {
			e.unpriced[k]++
		}
	}
	return e
}

// TestEndToEnd drives the voice-assistant workload through the real SDKs and the
// instrumentation into the built collector, then checks the reports, the Prometheus
// exporter's series and, with a real Prometheus, every dashboard and alert expression.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the collector, the emulator and Prometheus")
	}
	ctx := t.Context()
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		t.Fatal(err)
	}
	col, err := demo.StartCollector(ctx, demo.CollectorOptions{
		Binary: collectorBin, Config: configPath("config.yaml"), Dir: dir, Log: logFile,
		Env: []string{"AIUSAGE_BATCH_TIMEOUT=100ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := col.Stop(stopCtx); err != nil {
			t.Errorf("stop collector: %v", err)
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("collector log:\n%s", tail(b, 6000))
		}
	})
	emu, err := demo.StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Stop(context.Background()) })
	prom := startPrometheus(t, col)

	tel, err := demo.NewTelemetry(ctx, col.Endpoints.OTLPGRPC, service, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := demo.NewInstrumentation(tel, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	driver, err := demo.NewDriver(ctx, inst, nil, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	// The voice pipeline first (speech-to-text, translation, chat, text-to-speech on both
	// providers, a Live session), while the emulated quotas have room.
	var outcomes []demo.Outcome
	for _, s := range driver.RunVoice(ctx, inst, emu.URLs, demo.VoiceAttribution) {
		if s.Outcome.Err != nil {
			t.Fatalf("voice pipeline, %s %s: %v", s.Step, s.Outcome.Call.Model, s.Outcome.Err)
		}
		outcomes = append(outcomes, s.Outcome)
	}
	plan := demo.Plan(calls, 7, instrumentation.Groq, instrumentation.Gemini)
	for start := 0; start < len(plan); start += chunk {
		outcomes = append(outcomes, driver.Run(ctx, plan[start:min(start+chunk, len(plan))], 4, nil)...)
		if err := tel.Meter.ForceFlush(ctx); err != nil {
			t.Fatalf("flush metrics: %v", err)
		}
		if prom != nil {
			waitScraped(t, prom, driver.Attempts()+1) // and the Live session's point
		}
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("flush telemetry: %v", err)
	}
	if got, want := driver.Attempts(), int64(len(plan)+demo.VoiceHTTPCalls); got != want {
		t.Fatalf("%d HTTP attempts for %d calls; the SDKs were told not to retry", got, want)
	}
	evalAt := time.Now()
	reporter := &demo.Reporter{URL: col.Endpoints.ReportsURL()}
	// One row per attempt, and the Live session's.
	if err := reporter.WaitStored(ctx, driver.Attempts()+1); err != nil {
		t.Fatal(err)
	}
	want := expect(t, outcomes)
	checkWorkload(t, want)

	t.Run("reports", func(t *testing.T) { checkReports(t, reporter, want) })
	t.Run("prometheus exporter", func(t *testing.T) { checkExporter(t, col, want) })
	t.Run("prometheus", func(t *testing.T) {
		if prom == nil {
			t.Skipf("%s not installed", prometheusBin)
		}
		checkPrometheus(t, prom, evalAt)
	})
}

// checkWorkload makes sure the run exercised what the dashboard and alerts show: both
// providers, streams, prompt caching, rate limiting and an unpriced model.
func checkWorkload(t *testing.T, want expected) {
	t.Helper()
	var limited, streamed, cached int64
	for _, tt := range want.byModel {
		limited += tt.rateLimited
		streamed += tt.streamedOK
		cached += tt.cached
	}
	if limited == 0 || streamed == 0 || cached == 0 || len(want.unpriced) == 0 || len(want.byUser) < 3 {
		t.Fatalf("workload too tame: %d rate-limited, %d streamed, %d cached input tokens, %d unpriced models, %d users",
			limited, streamed, cached, len(want.unpriced), len(want.byUser))
	}
}

// waitScraped waits until Prometheus has scraped the calls made so far.
func waitScraped(t *testing.T, p *prometheus, attempts int64) {
	t.Helper()
	expr := fmt.Sprintf(`sum(gen_ai_client_operation_duration_seconds_count{job=%q})`, service)
	poll(t, time.Minute, "prometheus scraping "+expr, func() (bool, error) {
		s, err := p.query(t.Context(), expr, time.Now())
		if err != nil {
			return false, err
		}
		return len(s) == 1 && s[0].Value == float64(attempts), nil
	})
}

// row returns res's rows as maps from column name to cell.
func rows(res *queries.Result) []map[string]any {
	out := make([]map[string]any, len(res.Rows))
	for i, r := range res.Rows {
		m := map[string]any{}
		for j, c := range res.Columns {
			m[c.Name] = r[j]
		}
		out[i] = m
	}
	return out
}

func runReport(t *testing.T, r *demo.Reporter, name string) []map[string]any {
	t.Helper()
	res, err := r.Run(t.Context(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rows(res)
}

func checkReports(t *testing.T, r *demo.Reporter, want expected) {
	users := runReport(t, r, "users")
	if len(users) != len(want.byUser) {
		t.Errorf("users report: %d users, want %d", len(users), len(want.byUser))
	}
	for _, u := range users {
		id, _ := u["user_id"].(string)
		w := want.byUser[id]
		if w == nil {
			t.Errorf("users report: unexpected user %q", id)
			continue
		}
		for col, v := range map[string]int64{"requests": w.calls, "input_tokens": w.input, "output_tokens": w.output, "total_tokens": w.input + w.output} {
			if u[col] != v {
				t.Errorf("users report: user %s %s = %v, want %d", id, col, u[col], v)
			}
		}
	}

	daily := runReport(t, r, "daily")
	seen := map[key]bool{}
	for _, d := range daily {
		k := key{d["provider"].(string), d["model"].(string)}
		seen[k] = true
		w := want.byModel[k]
		if w == nil {
			t.Errorf("daily report: unexpected %v", k)
			continue
		}
		for col, v := range map[string]int64{
			"requests": w.calls, "rate_limited": w.rateLimited, "errors": w.rateLimited + w.failed,
			"input_tokens": w.input, "output_tokens": w.output, "cache_read_input_tokens": w.cached,
		} {
			if d[col] != v {
				t.Errorf("daily report: %s %s %s = %v, want %d", k.provider, k.model, col, d[col], v)
			}
		}
	}
	for k := range want.byModel {
		if !seen[k] {
			t.Errorf("daily report: no row for %v", k)
		}
	}

	for _, c := range runReport(t, r, "cost") {
		k := key{c["provider"].(string), c["model"].(string)}
		switch c["status"] {
		case "priced":
			got, _ := c["cost_usd"].(float64)
			if !closeTo(got, want.cost[k]) {
				t.Errorf("cost report: %v cost_usd = %v, want %v", k, c["cost_usd"], want.cost[k])
			}
		case "unpriced":
			if c["cost_usd"] != nil || want.unpriced[k] == 0 {
				t.Errorf("cost report: %v unpriced with cost %v; the app saw %d unpriced calls", k, c["cost_usd"], want.unpriced[k])
			}
		default:
			t.Errorf("cost report: %v status %v", k, c["status"])
		}
	}

	// Groq's requests-per-day window of the intent model ran out: its headers said so.
	limits := demo.EmulatorConfig().GroqModelLimits[demo.GroqIntentModel]
	found := false
	for _, q := range runReport(t, r, "quota") {
		if q["provider"] == "groq" && q["model"] == demo.GroqIntentModel && q["resource"] == "requests" && q["window"] == "1d" {
			found = true
			if q["limit"] != float64(limits.RequestsPerDay) || q["remaining"] != 0.0 || q["warning"] != true || q["source"] != "header" {
				t.Errorf("quota report: %v, want limit %d, remaining 0, warning, from headers", q, limits.RequestsPerDay)
			}
		}
	}
	if !found {
		t.Errorf("quota report: no requests/1d row for groq %s", demo.GroqIntentModel)
	}
}

// closeTo compares USD amounts summed in different orders.
func closeTo(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// scrape reads the collector's prometheus exporter.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sumBy adds up one value of every series of family name, grouped by labels.
func sumBy(fams map[string]*dto.MetricFamily, name string, value func(*dto.Metric) float64, labels ...string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		if label(m, "job") != service {
			continue
		}
		parts := make([]string, len(labels))
		for i, l := range labels {
			parts[i] = label(m, l)
		}
		out[strings.Join(parts, "|")] += value(m)
	}
	return out
}

// byModel regroups "provider|response model|request model" sums by provider and model
// as the reports name it: the response model, else the request model (speech calls and
// Live sessions have no response model).
func byModel(sums map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range sums {
		parts := strings.SplitN(k, "|", 3)
		model := parts[1]
		if model == "" {
			model = parts[2]
		}
		out[parts[0]+"|"+model] += v
	}
	return out
}

func histSum(m *dto.Metric) float64   { return m.GetHistogram().GetSampleSum() }
func histCount(m *dto.Metric) float64 { return float64(m.GetHistogram().GetSampleCount()) }
func counter(m *dto.Metric) float64   { return m.GetCounter().GetValue() }
func gauge(m *dto.Metric) float64     { return m.GetGauge().GetValue() }

// checkExporter compares the exporter's series with the workload and checks that every
// series the dashboard and rules read exists.
func checkExporter(t *testing.T, col *demo.Collector, want expected) {
	fams := scrape(t, col.Endpoints.PrometheusURL())

	tokens := sumBy(fams, "gen_ai_client_token_usage", histSum, "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_token_type")
	calls := sumBy(fams, "gen_ai_client_operation_duration_seconds", histCount, "gen_ai_provider_name", "gen_ai_request_model")
	limited := sumBy(fams, "gen_ai_client_operation_duration_seconds", histCount, "gen_ai_provider_name", "gen_ai_request_model", "error_type")
	exceeded := sumBy(fams, "aiusage_ratelimit_exceeded_total", counter, "gen_ai_provider_name", "gen_ai_request_model")
	ttfc := sumBy(fams, "gen_ai_client_operation_time_to_first_chunk_seconds", histCount, "gen_ai_provider_name", "gen_ai_request_model")
	for k, w := range want.byRequestModel {
		pm := k.provider + "|" + k.model
		checks := []struct {
			what      string
			got, want float64
		}{
			{"input tokens (gen_ai_client_token_usage_sum)", tokens[pm+"|input"], float64(w.input)},
			{"output tokens (gen_ai_client_token_usage_sum)", tokens[pm+"|output"], float64(w.output)},
			{"calls (gen_ai_client_operation_duration_seconds_count)", calls[pm], float64(w.calls)},
			{"429 calls (duration count with error_type 429)", limited[pm+"|429"], float64(w.rateLimited)},
			{"429 calls (aiusage_ratelimit_exceeded_total)", exceeded[pm], float64(w.rateLimited)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s %s: %s = %v, want %v", k.provider, k.model, c.what, c.got, c.want)
			}
		}
		var failed float64
		for series, n := range limited {
			if strings.HasPrefix(series, pm+"|") && !strings.HasSuffix(series, "|") {
				failed += n
			}
		}
		if failed != float64(w.rateLimited+w.failed) {
			t.Errorf("%s %s: %v calls with an error_type, the app saw %d fail (%v)", k.provider, k.model, failed, w.rateLimited+w.failed, limited)
		}
		if ttfc[pm] < float64(w.streamedOK) {
			t.Errorf("%s %s: time to first chunk observed %v times, want at least the %d successful streams", k.provider, k.model, ttfc[pm], w.streamedOK)
		}
	}

	cost := byModel(sumBy(fams, "aiusage_cost_USD_total", counter, "gen_ai_provider_name", "gen_ai_response_model", "gen_ai_request_model"))
	unpriced := byModel(sumBy(fams, "aiusage_cost_unpriced_total", counter, "gen_ai_provider_name", "gen_ai_response_model", "gen_ai_request_model"))
	for k, usd := range want.cost {
		if got := cost[k.provider+"|"+k.model]; !closeTo(got, usd) {
			t.Errorf("%s %s: aiusage_cost_USD_total = %v, want %v", k.provider, k.model, got, usd)
		}
	}
	for k, n := range want.unpriced {
		if got := unpriced[k.provider+"|"+k.model]; got != float64(n) {
			t.Errorf("%s %s: aiusage_cost_unpriced_total = %v, want %d", k.provider, k.model, got, n)
		}
	}

	// Quota gauges: Groq's from headers, Gemini's estimated against the configured limits.
	quota := func(name string) map[string]float64 {
		return sumBy(fams, name, gauge, "gen_ai_provider_name", "gen_ai_request_model", "aiusage_ratelimit_resource", "aiusage_ratelimit_window", "aiusage_ratelimit_source")
	}
	groqDay := "groq|" + demo.GroqIntentModel + "|requests|1d|header"
	geminiMinute := "gcp.gemini|" + demo.GeminiReplyModel + "|requests|1m|estimate"
	limit, remaining, util := quota("aiusage_ratelimit_limit"), quota("aiusage_ratelimit_remaining"), quota("aiusage_ratelimit_utilization_ratio")
	for _, c := range []struct {
		series                string
		limit, remaining, use float64
	}{
		{groqDay, float64(demo.EmulatorConfig().GroqModelLimits[demo.GroqIntentModel].RequestsPerDay), 0, 1},
		{geminiMinute, float64(demo.GeminiLimits().RequestsPerMinute), 0, 1},
	} {
		if limit[c.series] != c.limit || remaining[c.series] != c.remaining || util[c.series] != c.use {
			t.Errorf("quota %s: limit %v remaining %v utilization %v, want %v %v %v", c.series,
				limit[c.series], remaining[c.series], util[c.series], c.limit, c.remaining, c.use)
		}
	}

	// Every series a dashboard panel, variable or rule reads is exported.
	names := map[string]bool{}
	for name, f := range fams {
		names[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	dash, varMetrics := dashboardQueries(t)
	ruleQs, recorded := ruleQueries(t)
	for _, q := range append(dash, ruleQs...) {
		for _, n := range metricNames(t, q) {
			if !names[n] && !recorded[n] {
				t.Errorf("%s reads %s, which the exporter does not produce (it has %v)", q.Source, n, slices.Sorted(maps.Keys(fams)))
			}
		}
	}
	for _, n := range varMetrics {
		if !names[n] {
			t.Errorf("dashboard variable reads %s, which the exporter does not produce", n)
		}
	}
}

// checkPrometheus evaluates every dashboard and rule expression in a real Prometheus
// that scraped the run, and checks that every alert became active.
func checkPrometheus(t *testing.T, p *prometheus, at time.Time) {
	ctx := t.Context()
	dash, _ := dashboardQueries(t)
	ruleQs, _ := ruleQueries(t)
	for _, q := range append(dash, ruleQs...) {
		got, err := p.query(ctx, q.Expr, at)
		if err != nil {
			t.Errorf("%s: %v", q.Source, err)
			continue
		}
		finite := 0
		for _, s := range got {
			if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
				finite++
			}
		}
		if finite == 0 {
			t.Errorf("%s: %q returned no data (%d series, none a number)", q.Source, q.Expr, len(got))
		}
	}
	var alerts []string
	for _, q := range ruleQs {
		if q.Alert != "" {
			alerts = append(alerts, q.Alert)
		}
	}
	var states map[string]string
	poll(t, time.Minute, "alerts active", func() (bool, error) {
		var err error
		states, err = p.alertStates(ctx)
		if err != nil {
			return false, err
		}
		for _, a := range alerts {
			if states[a] == "" {
				return false, nil
			}
		}
		return true, nil
	})
	t.Logf("alert states: %v", states)
}
