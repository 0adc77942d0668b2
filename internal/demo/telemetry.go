package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Telemetry is an app's OpenTelemetry SDK set up as a real app would: spans and metrics
// exported over OTLP/gRPC to a collector.
type Telemetry struct {
	Tracer *sdktrace.TracerProvider
	Meter  *sdkmetric.MeterProvider
}

// NewTelemetry exports to the OTLP/gRPC endpoint (host:port, plaintext loopback) as
// service. Metrics are exported every interval, cumulatively, as Prometheus wants them.
func NewTelemetry(ctx context.Context, endpoint, service string, interval time.Duration) (*Telemetry, error) {
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName.String(service)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	spans, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	points, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("otlp metric exporter: %w", err)
	}
	return &Telemetry{
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(spans)),
		Meter: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(points, sdkmetric.WithInterval(interval)))),
	}, nil
}

// Shutdown flushes every pending span and metric point to the collector and stops both
// providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.Tracer.Shutdown(ctx), t.Meter.Shutdown(ctx))
}
