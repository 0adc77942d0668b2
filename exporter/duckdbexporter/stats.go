package duckdbexporter

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// scopeName is the instrumentation scope of the exporter's own telemetry.
const scopeName = "github.com/aiusage/aiusage/exporter/duckdbexporter"

// The exporter's own metrics and the outcome attribute that splits them.
const (
	metricSpans  = "otelcol_exporter_duckdb_spans"
	metricPoints = "otelcol_exporter_duckdb_points"
	metricValues = "otelcol_exporter_duckdb_invalid_values"
	outcomeKey   = attribute.Key("outcome")
)

// Outcomes of a span or a point, and of an invalid attribute value.
const (
	outcomeWritten     = "written"
	outcomeNotGenAI    = "not_genai"   // span without gen_ai.provider.name
	outcomeDuplicate   = "duplicate"   // delivered before, or twice in one batch
	outcomeCoerced     = "coerced"     // wrong type or form, converted without doubt
	outcomeNulled      = "nulled"      // unusable, stored as NULL, row kept
	outcomeRepaired    = "repaired"    // made valid UTF-8, or bounded in size
	outcomeUnsupported = "unsupported" // empty metric type
)

// batchStats counts what happened to one batch; it is logged and added to the counters
// once the batch is committed.
type batchStats struct {
	spansWritten, spansNotGenAI, spansDuplicate int64
	pointsWritten, pointsDuplicate, pointsEmpty int64
	coerced, nulled, repaired                   int64
}

// stats publishes batch outcomes as the exporter's own metrics.
type stats struct {
	logger                *zap.Logger
	spans, points, values metric.Int64Counter
}

func newStats(set component.TelemetrySettings, logger *zap.Logger) (*stats, error) {
	m := set.MeterProvider.Meter(scopeName)
	s := &stats{logger: logger}
	var err error
	if s.spans, err = m.Int64Counter(metricSpans, metric.WithUnit("{span}"),
		metric.WithDescription("Spans the duckdb exporter received, by outcome.")); err != nil {
		return nil, fmt.Errorf("create counter %s: %w", metricSpans, err)
	}
	if s.points, err = m.Int64Counter(metricPoints, metric.WithUnit("{point}"),
		metric.WithDescription("Metric data points the duckdb exporter received, by outcome.")); err != nil {
		return nil, fmt.Errorf("create counter %s: %w", metricPoints, err)
	}
	if s.values, err = m.Int64Counter(metricValues, metric.WithUnit("{value}"),
		metric.WithDescription("Attribute values that were coerced, stored as NULL, or repaired.")); err != nil {
		return nil, fmt.Errorf("create counter %s: %w", metricValues, err)
	}
	return s, nil
}

func (s *stats) record(ctx context.Context, signal string, b batchStats) {
	add := func(c metric.Int64Counter, n int64, outcome string) {
		if n > 0 {
			c.Add(ctx, n, metric.WithAttributes(outcomeKey.String(outcome)))
		}
	}
	add(s.spans, b.spansWritten, outcomeWritten)
	add(s.spans, b.spansNotGenAI, outcomeNotGenAI)
	add(s.spans, b.spansDuplicate, outcomeDuplicate)
	add(s.points, b.pointsWritten, outcomeWritten)
	add(s.points, b.pointsDuplicate, outcomeDuplicate)
	add(s.points, b.pointsEmpty, outcomeUnsupported)
	add(s.values, b.coerced, outcomeCoerced)
	add(s.values, b.nulled, outcomeNulled)
	add(s.values, b.repaired, outcomeRepaired)
	if b.coerced+b.nulled+b.repaired+b.spansDuplicate+b.pointsDuplicate > 0 {
		s.logger.Info("duckdb batch had data it had to repair or drop",
			zap.String("signal", signal),
			zap.Int64("spans_written", b.spansWritten), zap.Int64("spans_duplicate", b.spansDuplicate),
			zap.Int64("points_written", b.pointsWritten), zap.Int64("points_duplicate", b.pointsDuplicate),
			zap.Int64("values_coerced", b.coerced), zap.Int64("values_nulled", b.nulled),
			zap.Int64("values_repaired", b.repaired))
	} else {
		s.logger.Debug("duckdb batch written", zap.String("signal", signal),
			zap.Int64("spans_written", b.spansWritten), zap.Int64("spans_not_genai", b.spansNotGenAI),
			zap.Int64("points_written", b.pointsWritten))
	}
}
