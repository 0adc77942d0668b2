package instrumentation

import (
	"context"
	"fmt"
	"math"

	"go.opentelemetry.io/otel/metric"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// quotaAttributes are the attributes of a quota state's gauge points.
func quotaAttributes(s quota.State) metric.MeasurementOption {
	return metric.WithAttributes(
		semconv.GenAIProviderName.String(string(s.Provider)),
		semconv.GenAIRequestModel.String(s.Model),
		semconv.RateLimitResource.String(s.Resource),
		semconv.RateLimitWindow.String(s.Window),
		semconv.RateLimitSource.String(s.Source))
}

// newForecastGauges creates the gauges that say when each quota window runs out and
// when it resets, next to the quota gauges and with the same attributes.
func (i *Instrumentation) newForecastGauges(m metric.Meter) error {
	exhaustion, err := m.Float64ObservableGauge(semconv.MetricRateLimitTimeToExhaustion,
		metric.WithDescription("Predicted time until a rate-limit window runs out at the current consumption rate: 0 when used up, +Inf when not before it resets."),
		metric.WithUnit(semconv.UnitSeconds))
	if err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitTimeToExhaustion, err)
	}
	reset, err := m.Float64ObservableGauge(semconv.MetricRateLimitTimeToReset,
		metric.WithDescription("Time until a rate-limit window is full again."),
		metric.WithUnit(semconv.UnitSeconds))
	if err != nil {
		return fmt.Errorf("create %s: %w", semconv.MetricRateLimitTimeToReset, err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := i.tracker.Now()
		for _, s := range i.tracker.States() {
			attrs := quotaAttributes(s)
			if !s.ResetAt.IsZero() {
				o.ObserveFloat64(reset, max(s.ResetAt.Sub(now).Seconds(), 0), attrs)
			}
			switch s.Forecast {
			case semconv.ForecastExhausted:
				o.ObserveFloat64(exhaustion, 0, attrs)
			case semconv.ForecastBeforeReset:
				o.ObserveFloat64(exhaustion, max(s.ExhaustsAt.Sub(now).Seconds(), 0), attrs)
			case semconv.ForecastNotBeforeReset:
				// Always a value rather than none: a series that stops is kept by the
				// collector's Prometheus exporter for its metric_expiration, showing
				// the last prediction long after it ceased to hold.
				o.ObserveFloat64(exhaustion, math.Inf(1), attrs)
			}
		}
		return nil
	}, exhaustion, reset)
	if err != nil {
		return fmt.Errorf("register forecast gauges: %w", err)
	}
	return nil
}
