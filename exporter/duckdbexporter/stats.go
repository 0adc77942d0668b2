package duckdbexporter

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
)

// selfMetric is one of the exporter's own metrics; metadata.yaml lists the same.
type selfMetric struct {
	name, unit, description string
}

// The exporter's own metrics, all monotonic int64 sums.
var (
	metricSpans = selfMetric{"otelcol_exporter_duckdb_spans", "{span}",
		"Spans the duckdb exporter received, by outcome (written, not_genai, duplicate, rejected with a reason)."}
	metricPoints = selfMetric{"otelcol_exporter_duckdb_points", "{point}",
		"Metric data points the duckdb exporter received, by outcome (written, duplicate, unsupported, rejected with a reason)."}
	metricValues = selfMetric{"otelcol_exporter_duckdb_invalid_values", "{value}",
		"Attribute values that were coerced, stored as NULL, or repaired (made valid UTF-8, bounded)."}
	metricDroppedAttributes = selfMetric{"otelcol_exporter_duckdb_dropped_attributes", "{attribute}",
		"Attributes left out of a span's, point's or resource's attributes JSON by attribute_limits, by the limit reached (max_count, max_bytes)."}

	metricArchivedRows = selfMetric{"otelcol_exporter_duckdb_archived_rows", "{row}",
		"Rows the archive wrote to the Parquet lake, by table."}

	selfMetrics = []selfMetric{metricSpans, metricPoints, metricValues, metricDroppedAttributes, metricArchivedRows,
		metricBudgetCrossings, metricWebhook} // budgets.go
)

// The attributes that split the counters.
const (
	outcomeKey = attribute.Key("outcome")
	reasonKey  = attribute.Key("reason") // of a rejection
	limitKey   = attribute.Key("limit")  // of dropped attributes
	tableKey   = attribute.Key("table")  // of archived rows
)

// Outcomes of a span or a point, and of an invalid attribute value.
const (
	outcomeWritten     = "written"
	outcomeNotGenAI    = "not_genai"   // span without gen_ai.provider.name
	outcomeDuplicate   = "duplicate"   // delivered before, or twice in one batch
	outcomeRejected    = "rejected"    // not stored; see reasonKey
	outcomeUnsupported = "unsupported" // empty metric type
	outcomeCoerced     = "coerced"     // wrong type or form, converted without doubt
	outcomeNulled      = "nulled"      // unusable, stored as NULL, row kept
	outcomeRepaired    = "repaired"    // made valid UTF-8, or bounded in size
)

// Reasons for a rejection: the span's start or the point's time is outside the window
// of timestamps.go.
const (
	reasonTooOld = "too_old" // before 2000-01-01
	reasonTooNew = "too_new" // more than a day after the exporter's clock
)

// batchStats counts what happened to one batch; it is logged and added to the counters
// once the batch is committed.
type batchStats struct {
	spansWritten, spansNotGenAI, spansDuplicate int64
	spansRejected                               rejections
	pointsWritten, pointsDuplicate, pointsEmpty int64
	pointsRejected                              rejections
	valueFixes
}

// rejections counts what a time window refused, by verdict.
type rejections [timeTooNew + 1]int64

func (r rejections) total() int64 { return r[timeTooOld] + r[timeTooNew] }

// stats publishes batch outcomes as the exporter's own metrics.
type stats struct {
	logger                                  *zap.Logger
	spans, points, values, dropped, archive metric.Int64Counter
}

func newStats(set component.TelemetrySettings, logger *zap.Logger) (*stats, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	s := &stats{logger: logger}
	for _, c := range []struct {
		counter *metric.Int64Counter
		def     selfMetric
	}{{&s.spans, metricSpans}, {&s.points, metricPoints}, {&s.values, metricValues}, {&s.dropped, metricDroppedAttributes},
		{&s.archive, metricArchivedRows}} {
		var err error
		*c.counter, err = m.Int64Counter(c.def.name, metric.WithUnit(c.def.unit), metric.WithDescription(c.def.description))
		if err != nil {
			return nil, fmt.Errorf("create counter %s: %w", c.def.name, err)
		}
	}
	return s, nil
}

func (s *stats) record(ctx context.Context, signal string, b batchStats) {
	add := func(c metric.Int64Counter, n int64, attrs ...attribute.KeyValue) {
		if n > 0 {
			c.Add(ctx, n, metric.WithAttributes(attrs...))
		}
	}
	add(s.spans, b.spansWritten, outcomeKey.String(outcomeWritten))
	add(s.spans, b.spansNotGenAI, outcomeKey.String(outcomeNotGenAI))
	add(s.spans, b.spansDuplicate, outcomeKey.String(outcomeDuplicate))
	add(s.spans, b.spansRejected[timeTooOld], outcomeKey.String(outcomeRejected), reasonKey.String(reasonTooOld))
	add(s.spans, b.spansRejected[timeTooNew], outcomeKey.String(outcomeRejected), reasonKey.String(reasonTooNew))
	add(s.points, b.pointsWritten, outcomeKey.String(outcomeWritten))
	add(s.points, b.pointsDuplicate, outcomeKey.String(outcomeDuplicate))
	add(s.points, b.pointsEmpty, outcomeKey.String(outcomeUnsupported))
	add(s.points, b.pointsRejected[timeTooOld], outcomeKey.String(outcomeRejected), reasonKey.String(reasonTooOld))
	add(s.points, b.pointsRejected[timeTooNew], outcomeKey.String(outcomeRejected), reasonKey.String(reasonTooNew))
	add(s.values, b.coerced, outcomeKey.String(outcomeCoerced))
	add(s.values, b.nulled, outcomeKey.String(outcomeNulled))
	add(s.values, b.repaired, outcomeKey.String(outcomeRepaired))
	add(s.dropped, b.droppedByCount, limitKey.String("max_count"))
	add(s.dropped, b.droppedByBytes, limitKey.String("max_bytes"))
	fields := []zap.Field{zap.String("signal", signal),
		zap.Int64("spans_written", b.spansWritten), zap.Int64("spans_not_genai", b.spansNotGenAI),
		zap.Int64("points_written", b.pointsWritten)}
	if b.coerced+b.nulled+b.repaired+b.spansDuplicate+b.pointsDuplicate+b.spansRejected.total()+
		b.pointsRejected.total()+b.droppedByCount+b.droppedByBytes == 0 {
		s.logger.Debug("duckdb batch written", fields...)
		return
	}
	s.logger.Info("duckdb batch had data it had to repair or drop", append(fields,
		zap.Int64("spans_duplicate", b.spansDuplicate), zap.Int64("spans_rejected", b.spansRejected.total()),
		zap.Int64("points_duplicate", b.pointsDuplicate), zap.Int64("points_rejected", b.pointsRejected.total()),
		zap.Int64("values_coerced", b.coerced), zap.Int64("values_nulled", b.nulled),
		zap.Int64("values_repaired", b.repaired),
		zap.Int64("attributes_dropped", b.droppedByCount+b.droppedByBytes))...)
}

// archived counts rows the archive wrote of a table.
func (s *stats) archived(ctx context.Context, table string, rows int64) {
	s.archive.Add(ctx, rows, metric.WithAttributes(tableKey.String(table)))
}
