package duckdbexporter

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// buildMetrics has one point of every type, and a quota reading split over the three
// aiusage.ratelimit gauges, all at t.
func buildMetrics(t time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr(string(semconv.ServiceName), "svc")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/aiusage/aiusage/instrumentation")
	ts := pcommon.NewTimestampFromTime(t)
	start := pcommon.NewTimestampFromTime(t.Add(-time.Minute))

	quota := func(name string, set func(pmetric.NumberDataPoint)) {
		m := sm.Metrics().AppendEmpty()
		m.SetName(name)
		p := m.SetEmptyGauge().DataPoints().AppendEmpty()
		p.SetTimestamp(ts)
		p.Attributes().PutStr(string(semconv.GenAIProviderName), semconv.ProviderGroq)
		p.Attributes().PutStr(string(semconv.GenAIRequestModel), "llama-3.1-8b-instant")
		p.Attributes().PutStr(string(semconv.RateLimitResource), semconv.ResourceRequests)
		p.Attributes().PutStr(string(semconv.RateLimitWindow), semconv.WindowDay)
		p.Attributes().PutStr(string(semconv.RateLimitSource), semconv.SourceHeader)
		set(p)
	}
	quota(semconv.MetricRateLimitLimit, func(p pmetric.NumberDataPoint) { p.SetIntValue(14400) })
	quota(semconv.MetricRateLimitRemaining, func(p pmetric.NumberDataPoint) { p.SetIntValue(13950) })
	quota(semconv.MetricRateLimitUtilization, func(p pmetric.NumberDataPoint) { p.SetDoubleValue(0.03125) })

	m := sm.Metrics().AppendEmpty()
	m.SetName(semconv.MetricCost)
	m.SetUnit(semconv.UnitUSD)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sp := s.DataPoints().AppendEmpty()
	sp.SetTimestamp(ts)
	sp.SetStartTimestamp(start)
	sp.SetDoubleValue(0.25)
	sp.Attributes().PutStr(string(semconv.GenAIProviderName), semconv.ProviderGroq)

	m = sm.Metrics().AppendEmpty()
	m.SetName(semconv.MetricTokenUsage)
	m.SetUnit(semconv.UnitToken)
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	hp := h.DataPoints().AppendEmpty()
	hp.SetTimestamp(ts)
	hp.SetStartTimestamp(start)
	hp.SetCount(3)
	hp.SetSum(150)
	hp.SetMin(10)
	hp.SetMax(100)
	hp.ExplicitBounds().FromRaw([]float64{16, 64, 256})
	hp.BucketCounts().FromRaw([]uint64{1, 1, 1, 0})
	hp.Attributes().PutStr(string(semconv.GenAITokenType), semconv.TokenTypeInput)

	m = sm.Metrics().AppendEmpty()
	m.SetName(semconv.MetricOperationDuration)
	m.SetUnit(semconv.UnitSeconds)
	eh := m.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ep := eh.DataPoints().AppendEmpty()
	ep.SetTimestamp(ts)
	ep.SetCount(4)
	ep.SetSum(2.5)
	ep.SetScale(3)
	ep.SetZeroCount(1)
	ep.Positive().SetOffset(-2)
	ep.Positive().BucketCounts().FromRaw([]uint64{1, 2})

	m = sm.Metrics().AppendEmpty()
	m.SetName("legacy.latency")
	sum := m.SetEmptySummary().DataPoints().AppendEmpty()
	sum.SetTimestamp(ts)
	sum.SetCount(10)
	sum.SetSum(5)
	q := sum.QuantileValues().AppendEmpty()
	q.SetQuantile(0.5)
	q.SetValue(0.4)
	q = sum.QuantileValues().AppendEmpty()
	q.SetQuantile(0.99)
	q.SetValue(math.NaN())

	m = sm.Metrics().AppendEmpty()
	m.SetName("no.data") // a metric of no type: counted, not written
	return md
}

func TestMetricsRows(t *testing.T) {
	e := startExporter(t, testConfig(t))
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := e.pushMetrics(context.Background(), buildMetrics(at)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []string
	}{
		// The utilization gauge is a double: no int_value, so the concatenation is NULL.
		{`SELECT metric_name || ' ' || int_value || ' ' || value FROM ai_metric_gauge ORDER BY metric_name`,
			[]string{"aiusage.ratelimit.limit 14400 14400.0", "aiusage.ratelimit.remaining 13950 13950.0", "NULL"}},
		{`SELECT coalesce(int_value::VARCHAR, 'no int') || ' ' || value FROM ai_metric_gauge WHERE metric_name = 'aiusage.ratelimit.utilization'`,
			[]string{"no int 0.03125"}},
		{`SELECT attributes->>'aiusage.ratelimit.window' FROM ai_metric_gauge LIMIT 1`, []string{"1d"}},
		{`SELECT concat_ws(' ', metric_name, unit, value, temporality, is_monotonic, service_name, start_time::VARCHAR) FROM ai_metric_sum`,
			[]string{"aiusage.cost USD 0.25 cumulative true svc 2026-11-27 09:59:00+00"}},
		{`SELECT concat_ws(' ', count, sum, min, max, bucket_counts, explicit_bounds, temporality, attributes->>'gen_ai.token.type') FROM ai_metric_histogram`,
			[]string{"3 150.0 10.0 100.0 [1, 1, 1, 0] [16.0, 64.0, 256.0] delta input"}},
		{`SELECT concat_ws(' ', count, sum, scale, zero_count, positive_offset, positive_bucket_counts, negative_bucket_counts, coalesce(min::VARCHAR, 'nomin')) FROM ai_metric_exponential_histogram`,
			[]string{"4 2.5 3 1 -2 [1, 2] [] nomin"}},
		{`SELECT concat_ws(' ', count, sum, quantiles, quantile_values) FROM ai_metric_summary`,
			[]string{"10 5.0 [0.5, 0.99] [0.4, nan]"}},
		// The three gauges of one reading are one snapshot row.
		{`SELECT concat_ws(' ', time::VARCHAR, service_name, provider, model, resource, "window", source, "limit", remaining, utilization) FROM ai_quota_snapshot`,
			[]string{"2026-11-27 10:00:00+00 svc groq llama-3.1-8b-instant requests 1d header 14400.0 13950.0 0.03125"}},
	}
	for _, tt := range tests {
		if got := queryStrings(t, e.db, tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s\n got %q\nwant %q", tt.query, got, tt.want)
		}
	}
}

func TestMetricsBatchDeliveredTwiceLandsOnce(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	md := buildMetrics(at)
	// The same points twice within one batch, too.
	twice := pmetric.NewMetrics()
	md.ResourceMetrics().CopyTo(twice.ResourceMetrics())
	md.ResourceMetrics().At(0).CopyTo(twice.ResourceMetrics().AppendEmpty())
	for _, batch := range []pmetric.Metrics{md, md, twice} {
		if err := e.pushMetrics(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for table, want := range map[string]int64{
		"ai_metric_gauge": 3, "ai_metric_sum": 1, "ai_metric_histogram": 1,
		"ai_metric_exponential_histogram": 1, "ai_metric_summary": 1, "ai_quota_snapshot": 1,
	} {
		if n := queryInt(t, e.db, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	// The next reading is new data and lands.
	if err := e.pushMetrics(ctx, buildMetrics(at.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, e.db, "SELECT count(*) FROM ai_quota_snapshot"); n != 2 {
		t.Errorf("quota snapshots after a second reading: %d, want 2", n)
	}
}

// TestQuotaReadingSplitAcrossBatches sends the limit and the remaining gauge of one
// reading in different batches, as a re-batching queue may: they merge into one row.
func TestQuotaReadingSplitAcrossBatches(t *testing.T) {
	e := startExporter(t, testConfig(t))
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	md := buildMetrics(at)
	metrics := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	first, second := pmetric.NewMetrics(), pmetric.NewMetrics()
	md.ResourceMetrics().CopyTo(first.ResourceMetrics())
	md.ResourceMetrics().CopyTo(second.ResourceMetrics())
	keep := func(m pmetric.Metrics, names ...string) {
		m.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().RemoveIf(func(x pmetric.Metric) bool {
			return !slices.Contains(names, x.Name())
		})
	}
	keep(first, semconv.MetricRateLimitLimit)
	keep(second, semconv.MetricRateLimitRemaining, semconv.MetricRateLimitUtilization)
	if metrics.Len() == 0 {
		t.Fatal("no metrics built")
	}
	for _, batch := range []pmetric.Metrics{first, second, second, first} {
		if err := e.pushMetrics(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got := queryStrings(t, e.db, `SELECT concat_ws(' ', "limit", remaining, utilization) FROM ai_quota_snapshot`)
	if !slices.Equal(got, []string{"14400.0 13950.0 0.03125"}) {
		t.Errorf("snapshots %q, want one merged row", got)
	}
}
