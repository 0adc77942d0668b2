package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
	"github.com/aiusage/aiusage/internal/budget"
	"github.com/aiusage/aiusage/queries"
)

// BudgetsConfig configures how the exporter watches spending budgets (the budgets
// table; `aiusage budgets`): evaluated after batches land, each threshold crossing
// logged once, published as metrics and, when configured, POSTed to a webhook.
type BudgetsConfig struct {
	// File is a budgets file (YAML, as `aiusage budgets set --file` writes): the budgets
	// table is made to hold exactly its budgets at start and whenever it changes. Empty
	// leaves the table as `aiusage budgets set --db` left it.
	File string `mapstructure:"file"`
	// Interval is the least time between two evaluations: budgets are evaluated after
	// batches land, at most once per interval (and once a minute without new data, so a
	// new period shows).
	Interval time.Duration `mapstructure:"interval"`
	// Webhook POSTs each crossing as JSON.
	Webhook WebhookConfig `mapstructure:"webhook"`
}

func defaultBudgetsConfig() BudgetsConfig {
	return BudgetsConfig{Interval: 10 * time.Second, Webhook: defaultWebhookConfig()}
}

// minBudgetInterval keeps evaluation from competing with ingest.
const minBudgetInterval = 100 * time.Millisecond

func (b BudgetsConfig) validate(tablesRenamed bool) []error {
	var errs []error
	if b.Interval < minBudgetInterval {
		errs = append(errs, fmt.Errorf("budgets.interval: %s is shorter than %s", b.Interval, minBudgetInterval))
	}
	if b.File != "" {
		if _, err := budget.ReadFile(b.File); err != nil {
			errs = append(errs, fmt.Errorf("budgets.file: %w", err))
		}
	}
	if tablesRenamed && (b.File != "" || b.Webhook.Endpoint != "") {
		errs = append(errs, errors.New("budgets: the budgets report reads the schema's table names, and tables.* renames them; budgets need the schema's names"))
	}
	return append(errs, b.Webhook.validate()...)
}

// The exporter's budget metrics: two counters among selfMetrics, and gauges.
var (
	metricBudgetCrossings = selfMetric{"otelcol_exporter_duckdb_budget_crossings", "{crossing}",
		"Budget thresholds crossed, by budget and threshold."}
	metricWebhook = selfMetric{"otelcol_exporter_duckdb_budget_webhook_notifications", "{notification}",
		"Budget webhook notifications, by outcome (delivered, failed, dropped)."}

	metricBudgetUsed = selfGauge{"otelcol_exporter_duckdb_budget_used", "1",
		"Share of each budget spent in its current period (1 = the whole amount), by budget, scope and period."}
	metricBudgetSpend = selfGauge{"otelcol_exporter_duckdb_budget_spend", "USD",
		"Spend of each budget's scope in its current period, by budget, scope and period."}
	selfGauges = []selfGauge{metricBudgetUsed, metricBudgetSpend}
)

// selfGauge is one of the exporter's own float64 gauges; metadata.yaml lists the same.
type selfGauge struct {
	name, unit, description string
}

// Attributes of the budget metrics.
var (
	budgetKey    = attribute.Key("budget")
	scopeKey     = attribute.Key("scope")
	periodKey    = attribute.Key("period")
	thresholdKey = attribute.Key("threshold")
)

// budgetWatch evaluates the budgets from its own goroutine: a landed batch only
// signals it, so ingest never waits for it, its queries or its webhook.
type budgetWatch struct {
	db     *sql.DB
	cfg    BudgetsConfig
	logger *zap.Logger
	report *queries.Report
	now    func() time.Time
	landed chan struct{} // capacity 1: a signal, not a queue
	hook   *webhook      // nil: no webhook

	crossings metric.Int64Counter

	mu       sync.Mutex
	statuses []budget.Notification // the last evaluation, for the gauges

	fileMod  time.Time // the budgets file as last loaded
	fileSize int64
}

// startBudgets starts watching the budgets on jobs until ctx ends. It is off for an
// operator-managed schema with renamed tables, which the budgets report cannot read.
func (e *duckdbExporter) startBudgets(ctx context.Context, jobs *sync.WaitGroup) error {
	if e.cfg.Tables.renamed() {
		return nil
	}
	rep, err := queries.Lookup("budgets")
	if err != nil {
		return err
	}
	m := e.set.TelemetrySettings.MeterProvider.Meter(metadata.ScopeName)
	w := &budgetWatch{db: e.db, cfg: e.cfg.Budgets, logger: e.logger, report: rep, now: time.Now, landed: make(chan struct{}, 1)}
	if w.crossings, err = newCounter(m, metricBudgetCrossings); err != nil {
		return err
	}
	if err := w.registerGauges(m); err != nil {
		return err
	}
	if e.cfg.Budgets.Webhook.Endpoint != "" {
		deliveries, err := newCounter(m, metricWebhook)
		if err != nil {
			return err
		}
		w.hook = newWebhook(e.cfg.Budgets.Webhook, e.logger, deliveries)
		jobs.Go(func() { w.hook.run(ctx) })
	}
	if err := w.syncFile(ctx); err != nil {
		return err // the file was valid when the configuration was; now it is not
	}
	e.budgets = w
	jobs.Go(func() { w.run(ctx) })
	return nil
}

// budgetsLanded tells the watch that a batch landed. It never waits.
func (e *duckdbExporter) budgetsLanded() {
	if e.budgets == nil {
		return
	}
	select {
	case e.budgets.landed <- struct{}{}:
	default: // a signal is pending already
	}
}

func (w *budgetWatch) registerGauges(m metric.Meter) error {
	used, err := m.Float64ObservableGauge(metricBudgetUsed.name, metric.WithUnit(metricBudgetUsed.unit),
		metric.WithDescription(metricBudgetUsed.description))
	if err != nil {
		return fmt.Errorf("create gauge %s: %w", metricBudgetUsed.name, err)
	}
	spend, err := m.Float64ObservableGauge(metricBudgetSpend.name, metric.WithUnit(metricBudgetSpend.unit),
		metric.WithDescription(metricBudgetSpend.description))
	if err != nil {
		return fmt.Errorf("create gauge %s: %w", metricBudgetSpend.name, err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, s := range w.statuses {
			attrs := metric.WithAttributes(budgetKey.String(s.Budget), scopeKey.String(s.Scope), periodKey.String(s.Period))
			o.ObserveFloat64(used, s.Used, attrs)
			o.ObserveFloat64(spend, s.SpendUSD, attrs)
		}
		return nil
	}, used, spend)
	if err != nil {
		return fmt.Errorf("register budget gauges: %w", err)
	}
	return nil
}

// newCounter creates the int64 counter def describes.
func newCounter(m metric.Meter, def selfMetric) (metric.Int64Counter, error) {
	c, err := m.Int64Counter(def.name, metric.WithUnit(def.unit), metric.WithDescription(def.description))
	if err != nil {
		return nil, fmt.Errorf("create counter %s: %w", def.name, err)
	}
	return c, nil
}

// idleEvaluation is how often budgets are evaluated without new data: a period that
// ended shows as a new one within it.
const idleEvaluation = time.Minute

// run evaluates at start, then after batches landed at most once per interval, until
// ctx ends.
func (w *budgetWatch) run(ctx context.Context) {
	w.evaluateLogged(ctx)
	tick := time.NewTicker(w.cfg.Interval)
	defer tick.Stop()
	pending := false
	last := w.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.landed:
			pending = true
		case <-tick.C:
			if err := w.syncFile(ctx); err != nil && ctx.Err() == nil {
				w.logger.Warn("budgets file not loaded; the budgets stay as they were", zap.Error(err))
			}
			if pending || w.now().Sub(last) >= idleEvaluation {
				w.evaluateLogged(ctx)
				pending, last = false, w.now()
			}
		}
	}
}

func (w *budgetWatch) evaluateLogged(ctx context.Context) {
	if err := w.evaluate(ctx); err != nil && ctx.Err() == nil {
		w.logger.Warn("budgets not evaluated; trying again after the next batch", zap.Error(err))
	}
}

// syncFile loads the budgets file into the table when it changed since last loaded.
func (w *budgetWatch) syncFile(ctx context.Context) error {
	if w.cfg.File == "" {
		return nil
	}
	fi, err := os.Stat(w.cfg.File)
	if err != nil {
		return fmt.Errorf("budgets.file: %w", err)
	}
	if fi.ModTime().Equal(w.fileMod) && fi.Size() == w.fileSize {
		return nil
	}
	if fi.Size() == 0 {
		// An editor or a copy empties a file before writing it: an empty file is one
		// being written, not "no budgets" (`budgets: []` says that). Looked at again
		// next tick.
		return nil
	}
	bs, err := budget.ReadFile(w.cfg.File)
	if err != nil {
		return fmt.Errorf("budgets.file: %w", err)
	}
	if err := budget.Replace(ctx, w.db, bs); err != nil {
		return fmt.Errorf("budgets.file: %w", err)
	}
	w.fileMod, w.fileSize = fi.ModTime(), fi.Size()
	w.logger.Info("budgets loaded", zap.String("file", w.cfg.File), zap.Int("budgets", len(bs)))
	select { // evaluate the new budgets at the next tick
	case w.landed <- struct{}{}:
	default:
	}
	return nil
}

// crossing is a threshold a budget reached in a period.
type crossing struct {
	budget      string
	periodStart int64 // Unix microseconds
	threshold   float64
}

// evaluate runs the budgets report, records the thresholds newly crossed, and logs and
// notifies the highest one of each budget once.
func (w *budgetWatch) evaluate(ctx context.Context) error {
	now := w.now()
	res, err := w.report.Run(ctx, w.db, map[string]string{"as_of": now.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	statuses, thresholds, err := readBudgets(res)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.statuses = statuses
	w.mu.Unlock()

	seen, err := w.recordedCrossings(ctx, statuses)
	if err != nil {
		return err
	}
	var fresh []crossing
	var spends []float64
	notify := map[int]float64{} // status index -> highest new threshold
	for i, s := range statuses {
		for _, t := range thresholds[i] {
			c := crossing{s.Budget, s.PeriodStart.UnixMicro(), t}
			if s.SpendUSD < t*s.AmountUSD || seen[c] {
				continue
			}
			fresh, spends = append(fresh, c), append(spends, s.SpendUSD)
			notify[i] = max(notify[i], t)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := w.recordCrossings(ctx, fresh, spends, now); err != nil {
		return err
	}
	for _, c := range fresh {
		w.crossings.Add(ctx, 1, metric.WithAttributes(budgetKey.String(c.budget), thresholdKey.Float64(c.threshold)))
	}
	for i, t := range notify {
		n := statuses[i]
		n.Event, n.Threshold, n.CrossedAt = budget.EventCrossed, t, now.UTC()
		w.logger.Warn("budget threshold crossed",
			zap.String("budget", n.Budget), zap.String("scope", n.Scope), zap.String("scope_value", n.ScopeValue),
			zap.String("period", n.Period), zap.Time("period_start", n.PeriodStart),
			zap.Float64("threshold", t), zap.Float64("spend_usd", n.SpendUSD), zap.Float64("amount_usd", n.AmountUSD),
			zap.Float64("projected_usd", n.ProjectedUSD), zap.String("status", n.Status), zap.Bool("provider_cap", n.ProviderCap))
		if w.hook != nil {
			w.hook.enqueue(ctx, n)
		}
	}
	return nil
}

// recordedCrossings returns the crossings already recorded for the current periods.
func (w *budgetWatch) recordedCrossings(ctx context.Context, statuses []budget.Notification) (map[crossing]bool, error) {
	seen := map[crossing]bool{}
	if len(statuses) == 0 {
		return seen, nil
	}
	earliest := statuses[0].PeriodStart
	for _, s := range statuses {
		if s.PeriodStart.Before(earliest) {
			earliest = s.PeriodStart
		}
	}
	rows, err := w.db.QueryContext(ctx, `SELECT budget, period_start, threshold FROM budget_crossings WHERE period_start >= ?`, earliest)
	if err != nil {
		return nil, fmt.Errorf("read budget crossings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c crossing
		var start time.Time
		if err := rows.Scan(&c.budget, &start, &c.threshold); err != nil {
			return nil, fmt.Errorf("read budget crossings: %w", err)
		}
		c.periodStart = start.UnixMicro()
		seen[c] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read budget crossings: %w", err)
	}
	return seen, nil
}

// recordCrossings stores crossings (with the spend that crossed them) in one
// transaction; a crossing already recorded is kept as it was.
func (w *budgetWatch) recordCrossings(ctx context.Context, cs []crossing, spends []float64, now time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record budget crossings: %w", err)
	}
	for i, c := range cs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO budget_crossings (budget, period_start, threshold, crossed_at, spend_usd)
			VALUES (?, ?, ?, ?, ?)`, c.budget, time.UnixMicro(c.periodStart).UTC(), c.threshold, now, spends[i]); err != nil {
			return errors.Join(fmt.Errorf("record budget crossing: %w", err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record budget crossings: %w", err)
	}
	return nil
}

// readBudgets reads the budgets report's rows.
func readBudgets(res *queries.Result) ([]budget.Notification, [][]float64, error) {
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Name] = i
	}
	var out []budget.Notification
	var thresholds [][]float64
	for _, row := range res.Rows {
		cell := func(name string) any { return row[col[name]] }
		str := func(name string) string { s, _ := cell(name).(string); return s }
		num := func(name string) float64 { f, _ := cell(name).(float64); return f }
		when := func(name string) (time.Time, error) { return time.Parse(time.RFC3339Nano, str(name)) }
		n := budget.Notification{
			Budget: str("budget"), Scope: str("scope"), ScopeValue: str("scope_value"),
			Period: str("period"), TimeZone: str("time_zone"),
			AmountUSD: num("amount_usd"), SpendUSD: num("spend_usd"), Used: num("used"),
			ProjectedUSD: num("projected_usd"), Status: str("status"),
		}
		n.ProviderCap, _ = cell("provider_cap").(bool)
		var err error
		if n.PeriodStart, err = when("period_start"); err != nil {
			return nil, nil, fmt.Errorf("budgets report: period_start of %q: %w", n.Budget, err)
		}
		if n.PeriodEnd, err = when("period_end"); err != nil {
			return nil, nil, fmt.Errorf("budgets report: period_end of %q: %w", n.Budget, err)
		}
		if str("projected_overrun_at") != "" {
			at, err := when("projected_overrun_at")
			if err != nil {
				return nil, nil, fmt.Errorf("budgets report: projected_overrun_at of %q: %w", n.Budget, err)
			}
			n.ProjectedOverrunAt = &at
		}
		var ts []float64
		list, _ := cell("thresholds").([]any)
		for _, v := range list {
			if f, ok := v.(float64); ok {
				ts = append(ts, f)
			}
		}
		out = append(out, n)
		thresholds = append(thresholds, ts)
	}
	return out, thresholds, nil
}
