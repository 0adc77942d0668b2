package duckdbexporter

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/budget"
)

const testSecret = "a webhook secret, long enough"

func TestBudgetsConfigNamesEveryBadField(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("budgets:\n  - {name: x, scope: team, value: v, period: day, amount_usd: -1}\n"), 0o644) //nolint:errcheck
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"interval", func(c *Config) { c.Budgets.Interval = time.Millisecond }, []string{"budgets.interval: 1ms is shorter than 100ms"}},
		{"file missing", func(c *Config) { c.Budgets.File = filepath.Join(dir, "none.yaml") }, []string{"budgets.file: budgets file: open"}},
		{"file invalid", func(c *Config) { c.Budgets.File = bad }, []string{`budgets.file: budgets file ` + bad + `: budgets[0] ("x"): scope: "team" is not one of`, "amount_usd: -1 is negative"}},
		{"endpoint not http", func(c *Config) { c.Budgets.Webhook.Endpoint, c.Budgets.Webhook.Secret = "ftp://h/x", testSecret }, []string{`budgets.webhook.endpoint: "ftp://h/x" is not an http or https URL`}},
		{"endpoint with credentials", func(c *Config) {
			c.Budgets.Webhook.Endpoint, c.Budgets.Webhook.Secret = "https://u:p@h/x", testSecret
		}, []string{"budgets.webhook.endpoint: must not hold credentials"}},
		{"no secret", func(c *Config) { c.Budgets.Webhook.Endpoint = "https://hooks.example/aiusage" }, []string{"budgets.webhook.secret: a secret of at least 16 bytes is required"}},
		{"secret alone", func(c *Config) { c.Budgets.Webhook.Secret = testSecret }, []string{"budgets.webhook.secret: set without budgets.webhook.endpoint"}},
		{"bounds", func(c *Config) {
			c.Budgets.Webhook = WebhookConfig{Endpoint: "http://127.0.0.1:9/x", Secret: testSecret, Timeout: 0, MaxAttempts: 11, QueueSize: 0}
		}, []string{"budgets.webhook.timeout: 0s must be positive", "budgets.webhook.max_attempts: 11 is not in 1..10", "budgets.webhook.queue_size: 0 is not in 1..10000"}},
		{"renamed tables", func(c *Config) {
			c.CreateSchema, c.Reports.Endpoint, c.Tables.UsageLog = false, "", "calls"
			c.Budgets.Webhook.Endpoint, c.Budgets.Webhook.Secret = "http://127.0.0.1:9/x", testSecret
		}, []string{"budgets: the budgets report reads the schema's table names"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.change(cfg)
			err := cfg.Validate()
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v; want it to contain %q", err, w)
				}
			}
		})
	}
	if err := testConfig(t).Validate(); err != nil {
		t.Errorf("default budgets config: %v", err)
	}
}

// webhookReceiver records the notifications it gets, verifying each signature.
type webhookReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	got    []budget.Notification
	status func(attempt int) int // the answer to the nth request; nil: 204
	calls  int
	block  chan struct{} // when not nil, every request waits for it to close
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.block != nil {
		<-r.block
	}
	body, _ := io.ReadAll(req.Body)
	if err := budget.Verify([]byte(testSecret), req.Header.Get(budget.SignatureHeader), body, time.Now(), time.Minute); err != nil {
		r.t.Errorf("webhook: %v", err)
	}
	if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("X-Aiusage-Event") != budget.EventCrossed {
		r.t.Errorf("webhook headers %v", req.Header)
	}
	r.mu.Lock()
	r.calls++
	status := http.StatusNoContent
	if r.status != nil {
		status = r.status(r.calls)
	}
	if status < 300 {
		var n budget.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			r.t.Errorf("webhook body %s: %v", body, err)
		}
		r.got = append(r.got, n)
		// Names, amounts and times only: no key beyond these, so no call content.
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(body, &keys)
		for k := range keys {
			if !slices.Contains(notificationKeys, k) {
				r.t.Errorf("webhook body has key %q: %s", k, body)
			}
		}
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

var notificationKeys = []string{"event", "budget", "scope", "scope_value", "period", "time_zone", "amount_usd", "spend_usd",
	"used", "threshold", "status", "provider_cap", "projected_usd", "projected_overrun_at", "period_start", "period_end", "crossed_at"}

func (r *webhookReceiver) notifications() []budget.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// budgetSetup is an exporter with a budgets file, a webhook receiver, its telemetry
// and its log.
type budgetSetup struct {
	e    *duckdbExporter
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
	cfg  *Config
}

func startWithBudgets(t *testing.T, file string, recv http.Handler, change func(*Config)) budgetSetup {
	t.Helper()
	cfg := testConfig(t)
	cfg.Budgets.File = file
	cfg.Budgets.Interval = minBudgetInterval
	if recv != nil {
		srv := httptest.NewServer(recv)
		t.Cleanup(srv.Close)
		cfg.Budgets.Webhook.Endpoint, cfg.Budgets.Webhook.Secret = srv.URL+"/hooks/aiusage", testSecret
	}
	if change != nil {
		change(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return restartWithBudgets(t, cfg)
}

func restartWithBudgets(t *testing.T, cfg *Config) budgetSetup {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	core, logs := observer.New(zap.InfoLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	e := newExporter(cfg, set, func() {})
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return budgetSetup{e: e, tel: tel, logs: logs, cfg: cfg}
}

func (s budgetSetup) stop(t *testing.T) {
	t.Helper()
	if err := s.e.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// spendBatch is n calls of project p1 costing usd each, now.
func spendBatch(first uint64, n int, usd float64) []testSpan {
	var spans []testSpan
	for i := range n {
		spans = append(spans, testSpan{n: first + uint64(i), start: time.Now().Add(-time.Second),
			attrs: with(groqCall(), string(semconv.CostUSD), usd)})
	}
	return spans
}

func writeBudgets(t *testing.T, path, doc string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func crossedLogs(logs *observer.ObservedLogs) []observer.LoggedEntry {
	return logs.FilterMessage("budget threshold crossed").All()
}

// TestBudgetCrossingsAreLoggedOnceAndPosted: spend crosses 50 % then 100 % of a daily
// project budget; each crossing is logged once, counted, published as a gauge and
// POSTed, signed; a restart does not repeat them.
func TestBudgetCrossingsAreLoggedOnceAndPosted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "budgets.yaml")
	writeBudgets(t, file, "budgets:\n  - {name: p1-day, scope: project, value: p1, period: day, time_zone: Europe/Paris, amount_usd: 1, thresholds: [0.5, 1]}\n")
	recv := &webhookReceiver{t: t}
	s := startWithBudgets(t, file, recv, nil)
	ctx := context.Background()

	if err := s.e.pushTraces(ctx, buildTraces(spendBatch(1, 6, 0.1)...)); err != nil { // 0.6 USD: past 50 %
		t.Fatal(err)
	}
	waitFor(t, "the 50% notification", func() bool { return len(recv.notifications()) == 1 })
	for i := range 3 { // more spend below 100 %: nothing new
		if err := s.e.pushTraces(ctx, buildTraces(spendBatch(100+uint64(i), 1, 0.05)...)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * minBudgetInterval)
	if err := s.e.pushTraces(ctx, buildTraces(spendBatch(200, 6, 0.1)...)); err != nil { // 1.35 USD: past 100 %
		t.Fatal(err)
	}
	waitFor(t, "the 100% notification", func() bool { return len(recv.notifications()) == 2 })
	got := recv.notifications()
	first, second := got[0], got[1]
	if first.Budget != "p1-day" || first.Threshold != 0.5 || first.Status != "warning" || !near(first.SpendUSD, 0.6) ||
		first.Scope != "project" || first.ScopeValue != "p1" || first.TimeZone != "Europe/Paris" || first.Event != budget.EventCrossed {
		t.Errorf("first notification %+v", first)
	}
	if second.Threshold != 1 || second.Status != "exceeded" || !near(second.SpendUSD, 1.35) || !near(second.Used, 1.35) {
		t.Errorf("second notification %+v", second)
	}
	if n := len(crossedLogs(s.logs)); n != 2 {
		t.Errorf("%d crossing log lines, want 2", n)
	}
	if used := gaugeValue(t, s.tel, metricBudgetUsed); !near(used, 1.35) {
		t.Errorf("%s = %v, want 1.35", metricBudgetUsed.name, used)
	}
	if spend := gaugeValue(t, s.tel, metricBudgetSpend); !near(spend, 1.35) {
		t.Errorf("%s = %v, want 1.35", metricBudgetSpend.name, spend)
	}
	if got := counterPoints(t, s.tel, metricBudgetCrossings)[""]; got != 2 { // by budget and threshold: no outcome
		t.Errorf("%s = %d, want 2", metricBudgetCrossings.name, got)
	}
	if n := queryInt(t, s.e.db, `SELECT count(*) FROM budget_crossings WHERE budget = 'p1-day'`); n != 2 {
		t.Errorf("%d crossings recorded, want 2", n)
	}
	s.stop(t)

	// A restart evaluates again and finds both crossings recorded: no repeat.
	s = restartWithBudgets(t, s.cfg)
	defer s.stop(t)
	if err := s.e.pushTraces(ctx, buildTraces(spendBatch(300, 1, 0.01)...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * minBudgetInterval)
	if n := len(recv.notifications()); n != 2 || len(crossedLogs(s.logs)) != 0 {
		t.Errorf("after a restart: %d notifications, %d log lines; want 2 and 0", n, len(crossedLogs(s.logs)))
	}
}

func gaugeValue(t *testing.T, tel *componenttest.Telemetry, def selfGauge) float64 {
	t.Helper()
	m, err := tel.GetMetric(def.name)
	if err != nil {
		t.Fatalf("%s: %v", def.name, err)
	}
	g, ok := m.Data.(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 || m.Unit != def.unit || m.Description != def.description {
		t.Fatalf("%s: %+v, want one point of the gauge %+v", def.name, m, def)
	}
	return g.DataPoints[0].Value
}

// TestFailingWebhookDoesNotHoldUpIngestion: with the receiver hanging on the first
// notification, and then with it failing every time, batches land as without it.
func TestFailingWebhookDoesNotHoldUpIngestion(t *testing.T) {
	file := filepath.Join(t.TempDir(), "budgets.yaml")
	writeBudgets(t, file, "budgets:\n  - {name: all-day, scope: all, period: day, amount_usd: 0.01, thresholds: [0.1, 0.2, 0.5, 1, 2, 5, 10]}\n")
	ctx := context.Background()
	pushes := func(s budgetSetup) (median, worst time.Duration) {
		var durations []time.Duration
		for i := range 40 { // every few batches cross a threshold
			start := time.Now()
			if err := s.e.pushTraces(ctx, buildTraces(spendBatch(uint64(i*10), 10, 0.0005)...)); err != nil {
				t.Fatal(err)
			}
			durations = append(durations, time.Since(start))
			time.Sleep(minBudgetInterval / 2)
		}
		if n := queryInt(t, s.e.db, `SELECT count(*) FROM ai_usage_log`); n != 400 {
			t.Errorf("%d rows stored, want 400", n)
		}
		waitFor(t, "every crossing recorded", func() bool {
			return queryInt(t, s.e.db, `SELECT count(*) FROM budget_crossings`) == 7
		})
		slices.Sort(durations)
		return durations[len(durations)/2], durations[len(durations)-1]
	}
	s := startWithBudgets(t, file, nil, nil)
	baseMedian, baseWorst := pushes(s)
	s.stop(t)

	block := make(chan struct{})
	hanging := &webhookReceiver{t: t, block: block}
	s = startWithBudgets(t, file, hanging, func(c *Config) { c.Budgets.Webhook.Timeout, c.Budgets.Webhook.QueueSize = time.Minute, 2 })
	median, worst := pushes(s)
	t.Logf("40 pushes of 10 spans: median %s, max %s with the webhook hanging; %s, %s without a webhook (figures, not asserted)",
		median, worst, baseMedian, baseWorst)
	close(block)
	s.stop(t)

	// A receiver that always fails: each notification is tried max_attempts times,
	// then counted as failed; the batches land meanwhile.
	failing := &webhookReceiver{t: t, status: func(int) int { return http.StatusBadGateway }}
	s = startWithBudgets(t, file, failing, func(c *Config) { c.Budgets.Webhook.MaxAttempts = 3 })
	defer s.stop(t)
	s.e.budgets.hook.firstRetry = 10 * time.Millisecond
	if err := s.e.pushTraces(ctx, buildTraces(spendBatch(1, 10, 0.01)...)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed delivery counted", func() bool {
		return counterPoints(t, s.tel, metricWebhook)[deliveryFailed] == 1
	})
	failing.mu.Lock()
	calls := failing.calls
	failing.mu.Unlock()
	if calls != 3 {
		t.Errorf("%d attempts, want max_attempts (3)", calls)
	}
}

// TestWebhookRetriesThenDelivers: a 503 then a 200 delivers once, with the same
// delivery id; a 400 is final.
func TestWebhookRetriesThenDelivers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		statuses  []int
		delivered int
		calls     int
	}{
		{"retried", []int{503, 429, 200}, 1, 3},
		{"refused", []int{400, 200}, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var ids []string
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				ids = append(ids, r.Header.Get("X-Aiusage-Delivery"))
				w.WriteHeader(tt.statuses[calls])
				calls++
			}))
			defer srv.Close()
			cfg := defaultWebhookConfig()
			cfg.Endpoint, cfg.Secret = srv.URL, testSecret
			tel := componenttest.NewTelemetry()
			defer tel.Shutdown(context.Background())
			counter, err := newCounter(tel.NewTelemetrySettings().MeterProvider.Meter(metadata.ScopeName), metricWebhook)
			if err != nil {
				t.Fatal(err)
			}
			h := newWebhook(cfg, zap.NewNop(), counter)
			h.firstRetry = time.Millisecond
			err = h.deliver(context.Background(), budget.Notification{Budget: "b", Threshold: 1})
			if (err == nil) != (tt.delivered == 1) || calls != tt.calls {
				t.Errorf("deliver: %v after %d calls; want delivered %d after %d", err, calls, tt.delivered, tt.calls)
			}
			for _, id := range ids {
				if id != ids[0] || id == "" {
					t.Errorf("delivery ids %v: want one id for every attempt", ids)
				}
			}
		})
	}
}

// TestBudgetsFileIsReloaded: editing the budgets file changes the table.
func TestBudgetsFileIsReloaded(t *testing.T) {
	file := filepath.Join(t.TempDir(), "budgets.yaml")
	writeBudgets(t, file, "budgets:\n  - {name: a, scope: all, period: month, amount_usd: 10}\n")
	s := startWithBudgets(t, file, nil, nil)
	defer s.stop(t)
	if got := queryStrings(t, s.e.db, `SELECT name FROM budgets ORDER BY name`); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("budgets at start: %v", got)
	}
	time.Sleep(20 * time.Millisecond) // a modification time the file system tells apart
	writeBudgets(t, file, "budgets:\n  - {name: b, scope: user, value: u1, period: day, amount_usd: 1}\n  - {name: c, scope: model, value: m, period: day, amount_usd: 2}\n")
	waitFor(t, "the edited file loaded", func() bool {
		return slices.Equal(queryStrings(t, s.e.db, `SELECT name FROM budgets ORDER BY name`), []string{"b", "c"})
	})
	// An empty file is one being written: the budgets stay; `budgets: []` clears them.
	time.Sleep(20 * time.Millisecond)
	writeBudgets(t, file, "")
	time.Sleep(300 * time.Millisecond) // several ticks of the watcher
	if got := queryStrings(t, s.e.db, `SELECT name FROM budgets ORDER BY name`); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("budgets after the file was emptied: %v", got)
	}
	// A bad edit is logged and leaves the budgets as they were.
	time.Sleep(20 * time.Millisecond)
	writeBudgets(t, file, "budgets:\n  - {name: d, scope: all, period: day, amount_usd: -3}\n")
	waitFor(t, "the bad file reported", func() bool {
		return len(s.logs.FilterMessage("budgets file not loaded; the budgets stay as they were").All()) > 0
	})
	if got := queryStrings(t, s.e.db, `SELECT name FROM budgets ORDER BY name`); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("budgets after a bad edit: %v", got)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
