package duckdbexporter

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"gopkg.in/yaml.v3"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
)

// TestMetadataYAMLMatchesTheCode holds metadata.yaml (the mdatagen-shaped description
// that collector tooling reads) against what the code registers: the type, stability
// per signal, and the exporter's own metrics.
func TestMetadataYAMLMatchesTheCode(t *testing.T) {
	raw, err := os.ReadFile("metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Type   string
		Status struct {
			Class     string
			Stability map[string][]string
		}
		Telemetry struct {
			Metrics map[string]struct {
				Description string
				Unit        string
				Sum         struct {
					ValueType string `yaml:"value_type"`
					Monotonic bool
				}
				Gauge struct {
					ValueType string `yaml:"value_type"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	f := NewFactory()
	if md.Type != metadata.Type.String() || f.Type() != metadata.Type || md.Status.Class != "exporter" {
		t.Errorf("type: metadata.yaml %q (%s), factory %q, metadata %q", md.Type, md.Status.Class, f.Type(), metadata.Type)
	}
	for signal, level := range map[string]component.StabilityLevel{
		"traces": f.TracesStability(), "metrics": f.MetricsStability(),
	} {
		listed := md.Status.Stability[strings.ToLower(level.String())]
		if !slices.Contains(listed, signal) {
			t.Errorf("%s: the factory says %s, metadata.yaml lists %v under it", signal, level, listed)
		}
	}
	if f.TracesStability() != metadata.TracesStability || f.MetricsStability() != metadata.MetricsStability {
		t.Error("the factory's stability is not metadata's")
	}
	if len(md.Telemetry.Metrics) != len(selfMetrics)+len(selfGauges) {
		t.Errorf("metadata.yaml lists %d metrics, the exporter has %d", len(md.Telemetry.Metrics), len(selfMetrics)+len(selfGauges))
	}
	for _, m := range selfGauges {
		y, ok := md.Telemetry.Metrics[m.name]
		if !ok || y.Description != m.description || y.Unit != m.unit || y.Gauge.ValueType != "double" {
			t.Errorf("%s: metadata.yaml says %+v, the exporter %+v", m.name, y, m)
		}
	}
	for _, m := range selfMetrics {
		y, ok := md.Telemetry.Metrics[m.name]
		if !ok || y.Description != m.description || y.Unit != m.unit || y.Sum.ValueType != "int" || !y.Sum.Monotonic {
			t.Errorf("%s: metadata.yaml says %+v, the exporter %+v", m.name, y, m)
		}
	}
}
