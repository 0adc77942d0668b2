// Package metadata is the duckdb exporter's identity in one place: its component type,
// stability per signal and the instrumentation scope of its own telemetry, in the
// shape mdatagen generates for collector components (written by hand here; the
// exporter's metadata.yaml states the same facts, and a test holds them together).
package metadata // import "github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"

import "go.opentelemetry.io/collector/component"

var (
	// Type is the component type in collector configuration.
	Type = component.MustNewType("duckdb")
	// ScopeName is the instrumentation scope of the exporter's own metrics.
	ScopeName = "github.com/aiusage/aiusage/exporter/duckdbexporter"
)

// Stability of each signal the exporter accepts.
const (
	TracesStability  = component.StabilityLevelAlpha
	MetricsStability = component.StabilityLevelAlpha
)
