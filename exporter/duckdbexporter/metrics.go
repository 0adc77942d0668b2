package duckdbexporter

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// pointKind is a data point type; each has its table (migration 0002).
type pointKind int

const (
	pointGauge pointKind = iota
	pointSum
	pointHistogram
	pointExponentialHistogram
	pointSummary
	numPointKinds
)

// commonPointColumns open every metric table's row, in this order.
var commonPointColumns = []string{"metric_name", "unit", "time", "start_time", "service_name", "scope_name"}

// closingPointColumns close every metric table's row, in this order.
var closingPointColumns = []string{"flags", "attributes", "resource_attributes", "point_hash"}

func pointColumnsOf(specific ...string) []string {
	return append(append(append([]string{}, commonPointColumns...), specific...), closingPointColumns...)
}

// pointColumns are each point type's table columns, in append order.
var pointColumns = [numPointKinds][]string{
	pointGauge: pointColumnsOf("value", "int_value"),
	pointSum:   pointColumnsOf("value", "int_value", "temporality", "is_monotonic"),
	pointHistogram: pointColumnsOf("count", "sum", "min", "max",
		"bucket_counts", "explicit_bounds", "temporality"),
	pointExponentialHistogram: pointColumnsOf("count", "sum", "min", "max",
		"scale", "zero_count", "zero_threshold", "positive_offset", "positive_bucket_counts",
		"negative_offset", "negative_bucket_counts", "temporality"),
	pointSummary: pointColumnsOf("count", "sum", "quantiles", "quantile_values"),
}

// pointKindNames enter the point hash, so that the same values as a gauge and as a sum
// differ; they are fixed, unlike the configurable tables.
var pointKindNames = [numPointKinds]string{"gauge", "sum", "histogram", "exponential_histogram", "summary"}

// pointRow is one metric table row.
type pointRow struct {
	hash   uint64
	values []driver.Value
}

// metricBatch is a metrics batch converted to rows, before the duplicate check.
type metricBatch struct {
	rows             [numPointKinds][]pointRow
	minTime, maxTime time.Time
	quota            map[quotaKey]*quotaSnapshot
	stats            batchStats
}

// quotaKey identifies one ai_quota_snapshot row.
type quotaKey struct {
	time                                               time.Time
	service, provider, model, resource, window, source string
}

// quotaSnapshot merges the limit, remaining and utilization points of one key.
type quotaSnapshot struct {
	limit, remaining, utilization driver.Value
}

// convertMetrics turns every data point of md that w accepts into a row of its type's
// table, and the aiusage.ratelimit.* points into quota snapshots. It never fails.
func convertMetrics(md pmetric.Metrics, w timeWindow, lim attrLimits) metricBatch {
	b := metricBatch{quota: map[quotaKey]*quotaSnapshot{}}
	var fixes valueFixes
	seen := map[uint64]struct{}{}
	for _, rm := range md.ResourceMetrics().All() {
		res := rm.Resource().Attributes()
		resJSON := json.RawMessage(fixes.appendAttributes(nil, res, lim))
		var service driver.Value
		if v, ok := res.Get(string(semconv.ServiceName)); ok {
			if s, ok := fixes.str(v); ok {
				service = s
			}
		}
		for _, sm := range rm.ScopeMetrics().All() {
			scope, _ := cleanString(sm.Scope().Name())
			for _, m := range sm.Metrics().All() {
				name, _ := cleanString(m.Name())
				unit, _ := cleanString(m.Unit())
				c := pointContext{b: &b, fixes: &fixes, window: w, limits: lim, seen: seen, name: name, unit: unit,
					service: service, scope: scope, resJSON: resJSON}
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					for _, p := range m.Gauge().DataPoints().All() {
						c.add(pointGauge, p.Timestamp(), p.StartTimestamp(), p.Attributes(), uint32(p.Flags()),
							numberValues(p)...)
						c.quotaPoint(p)
					}
				case pmetric.MetricTypeSum:
					s := m.Sum()
					for _, p := range s.DataPoints().All() {
						c.add(pointSum, p.Timestamp(), p.StartTimestamp(), p.Attributes(), uint32(p.Flags()),
							append(numberValues(p), temporality(s.AggregationTemporality()), s.IsMonotonic())...)
					}
				case pmetric.MetricTypeHistogram:
					h := m.Histogram()
					for _, p := range h.DataPoints().All() {
						c.add(pointHistogram, p.Timestamp(), p.StartTimestamp(), p.Attributes(), uint32(p.Flags()),
							p.Count(), optFloat(p.HasSum(), p.Sum()), optFloat(p.HasMin(), p.Min()), optFloat(p.HasMax(), p.Max()),
							p.BucketCounts().AsRaw(), finite(p.ExplicitBounds().AsRaw()), temporality(h.AggregationTemporality()))
					}
				case pmetric.MetricTypeExponentialHistogram:
					h := m.ExponentialHistogram()
					for _, p := range h.DataPoints().All() {
						c.add(pointExponentialHistogram, p.Timestamp(), p.StartTimestamp(), p.Attributes(), uint32(p.Flags()),
							p.Count(), optFloat(p.HasSum(), p.Sum()), optFloat(p.HasMin(), p.Min()), optFloat(p.HasMax(), p.Max()),
							p.Scale(), p.ZeroCount(), p.ZeroThreshold(),
							p.Positive().Offset(), p.Positive().BucketCounts().AsRaw(),
							p.Negative().Offset(), p.Negative().BucketCounts().AsRaw(),
							temporality(h.AggregationTemporality()))
					}
				case pmetric.MetricTypeSummary:
					for _, p := range m.Summary().DataPoints().All() {
						qs := p.QuantileValues()
						quantiles := make([]float64, qs.Len())
						values := make([]float64, qs.Len())
						for i, q := range qs.All() {
							quantiles[i], values[i] = q.Quantile(), q.Value()
						}
						c.add(pointSummary, p.Timestamp(), p.StartTimestamp(), p.Attributes(), uint32(p.Flags()),
							p.Count(), p.Sum(), quantiles, values)
					}
				default:
					b.stats.pointsEmpty++
				}
			}
		}
	}
	b.stats.valueFixes = fixes
	return b
}

// pointContext is what the points of one metric share.
type pointContext struct {
	b                 *metricBatch
	fixes             *valueFixes
	window            timeWindow
	limits            attrLimits
	seen              map[uint64]struct{}
	name, unit, scope string
	service           driver.Value
	resJSON           json.RawMessage
	lastTime          time.Time
	lastAttrs         pcommon.Map
	lastOK            bool
}

// add appends one point's row to table, unless the time window refuses its time;
// specific are its type's own columns.
func (c *pointContext) add(kind pointKind, ts, start pcommon.Timestamp, attrs pcommon.Map, flags uint32, specific ...driver.Value) {
	c.lastOK = false
	var t time.Time
	if ts == 0 {
		t, ts = c.window.arrival, pcommon.NewTimestampFromTime(c.window.arrival) // dated by its arrival
		c.fixes.coerced++
	} else if v := c.window.check(ts); v != timeOK {
		c.b.stats.pointsRejected[v]++
		return
	} else {
		t = storedTime(ts)
	}
	attrJSON := c.fixes.appendAttributes(nil, attrs, c.limits)
	h := pointHash(c.name, pointKindNames[kind], ts, start, attrJSON, c.resJSON, specific)
	if _, dup := c.seen[h]; dup {
		c.b.stats.pointsDuplicate++
		return
	}
	c.seen[h] = struct{}{}
	var startValue driver.Value
	if st, ok, nulled := c.window.optionalTime(start); ok {
		startValue = st
	} else if nulled {
		c.fixes.nulled++
	}
	values := make([]driver.Value, 0, len(pointColumns[kind]))
	values = append(values, c.name, c.unit, t, startValue, c.service, c.scope)
	values = append(values, specific...)
	values = append(values, flags, json.RawMessage(attrJSON), c.resJSON, h)
	c.b.rows[kind] = append(c.b.rows[kind], pointRow{hash: h, values: values})
	if c.b.minTime.IsZero() || t.Before(c.b.minTime) {
		c.b.minTime = t
	}
	if t.After(c.b.maxTime) {
		c.b.maxTime = t
	}
	c.lastTime, c.lastAttrs, c.lastOK = t, attrs, true
}

// quotaPoint adds the gauge point just added to its quota snapshot when its metric is
// one of aiusage.ratelimit.limit, .remaining or .utilization.
func (c *pointContext) quotaPoint(p pmetric.NumberDataPoint) {
	if !c.lastOK { // a duplicate within the batch
		return
	}
	var slot func(*quotaSnapshot) *driver.Value
	switch c.name {
	case semconv.MetricRateLimitLimit:
		slot = func(s *quotaSnapshot) *driver.Value { return &s.limit }
	case semconv.MetricRateLimitRemaining:
		slot = func(s *quotaSnapshot) *driver.Value { return &s.remaining }
	case semconv.MetricRateLimitUtilization:
		slot = func(s *quotaSnapshot) *driver.Value { return &s.utilization }
	default:
		return
	}
	attr := func(k string) string {
		v, ok := c.lastAttrs.Get(k)
		if !ok {
			return ""
		}
		s, _ := c.fixes.str(v)
		return s
	}
	service, _ := c.service.(string)
	key := quotaKey{
		time: c.lastTime, service: service,
		provider: attr(string(semconv.GenAIProviderName)), model: attr(string(semconv.GenAIRequestModel)),
		resource: attr(string(semconv.RateLimitResource)), window: attr(string(semconv.RateLimitWindow)),
		source: attr(string(semconv.RateLimitSource)),
	}
	if key.provider == "" || key.resource == "" || key.window == "" || key.source == "" {
		c.fixes.nulled++ // not a quota reading the report can place
		return
	}
	value, ok := numberValue(p)
	if !ok {
		return
	}
	s := c.b.quota[key]
	if s == nil {
		s = &quotaSnapshot{}
		c.b.quota[key] = s
	}
	*slot(s) = value
}

// numberValues are the value and int_value columns of a gauge or sum point.
func numberValues(p pmetric.NumberDataPoint) []driver.Value {
	switch p.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		return []driver.Value{float64(p.IntValue()), p.IntValue()}
	case pmetric.NumberDataPointValueTypeDouble:
		return []driver.Value{finiteOrNil(p.DoubleValue()), nil}
	}
	return []driver.Value{nil, nil}
}

func numberValue(p pmetric.NumberDataPoint) (float64, bool) {
	switch p.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		return float64(p.IntValue()), true
	case pmetric.NumberDataPointValueTypeDouble:
		d := p.DoubleValue()
		return d, !math.IsNaN(d) && !math.IsInf(d, 0)
	}
	return 0, false
}

func finiteOrNil(d float64) driver.Value {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return nil
	}
	return d
}

func optFloat(ok bool, d float64) driver.Value {
	if !ok {
		return nil
	}
	return finiteOrNil(d)
}

// finite drops what DuckDB's DOUBLE[] would hold but JSON and reports could not use.
func finite(ds []float64) []float64 {
	out := ds[:0:0]
	for _, d := range ds {
		if !math.IsNaN(d) {
			out = append(out, d)
		}
	}
	return out
}

func temporality(t pmetric.AggregationTemporality) driver.Value {
	switch t {
	case pmetric.AggregationTemporalityCumulative:
		return "cumulative"
	case pmetric.AggregationTemporalityDelta:
		return "delta"
	}
	return nil
}

// pointHash fingerprints a point: two deliveries of the same point hash the same, in
// any process, so a replayed batch is recognised after a restart.
func pointHash(name, kind string, ts, start pcommon.Timestamp, attrs, res []byte, specific []driver.Value) uint64 {
	h := newFNV()
	h.str(name)
	h.str(kind)
	h.u64(uint64(ts))
	h.u64(uint64(start))
	h.bytes(attrs)
	h.bytes(res)
	for _, v := range specific {
		switch x := v.(type) {
		case nil:
			h.str("\x00nil")
		case string:
			h.str(x)
		case float64:
			h.u64(math.Float64bits(x))
		case int64:
			h.u64(uint64(x))
		case uint64:
			h.u64(x)
		case int32:
			h.u64(uint64(x))
		case bool:
			h.str(strconv.FormatBool(x))
		case []uint64:
			for _, e := range x {
				h.u64(e)
			}
			h.str("\x00")
		case []float64:
			for _, e := range x {
				h.u64(math.Float64bits(e))
			}
			h.str("\x00")
		default:
			h.str(fmt.Sprint(x))
		}
	}
	return uint64(h)
}

// fnv is 64-bit FNV-1a, stable across processes and releases (unlike maphash).
type fnv uint64

func newFNV() fnv { return 14695981039346656037 }

func (h *fnv) bytes(b []byte) {
	for _, c := range b {
		*h = (*h ^ fnv(c)) * 1099511628211
	}
	*h = (*h ^ 0xff) * 1099511628211 // terminator: ("ab","c") != ("a","bc")
}

func (h *fnv) str(s string) {
	for i := 0; i < len(s); i++ {
		*h = (*h ^ fnv(s[i])) * 1099511628211
	}
	*h = (*h ^ 0xff) * 1099511628211
}

func (h *fnv) u64(v uint64) {
	for range 8 {
		*h = (*h ^ fnv(v&0xff)) * 1099511628211
		v >>= 8
	}
}

// pushMetrics writes every point of md, and the quota snapshots, in one transaction.
func (e *duckdbExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	b := convertMetrics(md, newTimeWindow(e.now()), e.cfg.AttributeLimits.limits())
	total := 0
	for _, rows := range b.rows {
		total += len(rows)
	}
	if total > 0 {
		err := e.inTransaction(ctx, func(conn *sql.Conn) error {
			var stored map[uint64]struct{}
			if !b.minTime.After(e.latestPoint) {
				var err error
				if stored, err = e.storedPointHashes(ctx, conn, &b); err != nil {
					return err
				}
			}
			written := 0
			for kind, rows := range b.rows {
				fresh := rows[:0:0]
				for _, r := range rows {
					if _, dup := stored[r.hash]; !dup {
						fresh = append(fresh, r)
					}
				}
				b.stats.pointsDuplicate += int64(len(rows) - len(fresh))
				if err := appendPointRows(conn, e.cfg.Tables.metric(pointKind(kind)), pointColumns[kind], fresh); err != nil {
					return err
				}
				written += len(fresh)
			}
			b.stats.pointsWritten = int64(written)
			return e.mergeQuotaSnapshots(ctx, conn, &b)
		}, func() {
			if b.maxTime.After(e.latestPoint) {
				e.latestPoint = b.maxTime
			}
		})
		if err != nil {
			return err
		}
	}
	e.stats.record(ctx, "metrics", b.stats)
	return nil
}

// storedPointHashes returns which of the batch's point hashes the metric tables
// already hold, looking only within the batch's time range.
func (e *duckdbExporter) storedPointHashes(ctx context.Context, conn *sql.Conn, b *metricBatch) (map[uint64]struct{}, error) {
	stored := map[uint64]struct{}{}
	for kind, rows := range b.rows {
		if len(rows) == 0 {
			continue
		}
		table := e.cfg.Tables.metric(pointKind(kind))
		var list strings.Builder
		for i, r := range rows {
			if i > 0 {
				list.WriteByte(',')
			}
			list.WriteString(strconv.FormatUint(r.hash, 10))
		}
		res, err := conn.QueryContext(ctx, e.sql.storedPoint[kind], b.minTime, b.maxTime, list.String())
		if err != nil {
			return nil, fmt.Errorf("look up stored points in %s: %w", table, err)
		}
		for res.Next() {
			var h uint64
			if err := res.Scan(&h); err != nil {
				res.Close()
				return nil, fmt.Errorf("look up stored points in %s: %w", table, err)
			}
			stored[h] = struct{}{}
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return nil, fmt.Errorf("look up stored points in %s: %w", table, err)
		}
	}
	return stored, nil
}

func appendPointRows(conn *sql.Conn, table string, columns []string, rows []pointRow) error {
	if len(rows) == 0 {
		return nil
	}
	return rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", table, columns)
		if err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		for _, r := range rows {
			if err := app.AppendRow(r.values...); err != nil {
				app.Close()
				return fmt.Errorf("append to %s: metric %s: %w", table, r.values[0], err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		return nil
	})
}

// quotaColumns of the quota snapshot table, in append order.
var quotaColumns = []string{"time", "service_name", "provider", "model", "resource", "window", "source",
	"limit", "remaining", "utilization"}

// mergeQuotaSnapshots merges the batch's quota readings into the snapshot table
// (sql/quota_merge.sql), within the connection's transaction.
func (e *duckdbExporter) mergeQuotaSnapshots(ctx context.Context, conn *sql.Conn, b *metricBatch) error {
	if len(b.quota) == 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, e.sql.quotaStage); err != nil {
		return fmt.Errorf("stage quota snapshots: %w", err)
	}
	err := rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", "aiusage_quota_batch", quotaColumns)
		if err != nil {
			return err
		}
		for k, s := range b.quota {
			if err := app.AppendRow(k.time, nullIfEmpty(k.service), k.provider, nullIfEmpty(k.model),
				k.resource, k.window, k.source, s.limit, s.remaining, s.utilization); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("stage quota snapshots: %w", err)
	}
	for _, stmt := range e.sql.quotaMerge {
		if _, err := conn.ExecContext(ctx, stmt, b.minTime, b.maxTime); err != nil {
			return fmt.Errorf("merge quota snapshots into %s: %w", e.cfg.Tables.QuotaSnapshot, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM aiusage_quota_batch`); err != nil {
		return fmt.Errorf("clear quota snapshot stage: %w", err)
	}
	return nil
}

func nullIfEmpty(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}
