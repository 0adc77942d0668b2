// Command otelcol-aiusage is the aiusage OpenTelemetry Collector distribution: the
// OTLP receiver, memory limiter and batch processors, the DuckDB exporter that stores
// GenAI usage, the Prometheus exporter Grafana reads, and the extensions the shipped
// collector-config/config.yaml uses (health_check, file_storage).
//
// Unless GOMEMLIMIT is set, a memory_limiter's limit_mib also becomes the Go runtime's
// soft memory limit.
//
// Run it with a configuration as any collector:
//
//	otelcol-aiusage --config collector-config/config.yaml
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// version is the distribution's version, set at link time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if err := otelcol.NewCommand(settings()).Execute(); err != nil {
		log.Fatal(err)
	}
}

// settings describes the distribution: its components and where configuration may
// come from (files, environment variables, inline YAML).
func settings() otelcol.CollectorSettings {
	return otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-aiusage",
			Description: "aiusage OpenTelemetry Collector: GenAI usage into DuckDB and Prometheus",
			Version:     version,
		},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
				DefaultScheme: "env",
			},
		},
	}
}

// factories are the distribution's components, with the memory_limiter that also sets
// the Go runtime's memory limit.
func factories() (otelcol.Factories, error) {
	f, err := components()
	if err != nil {
		return otelcol.Factories{}, err
	}
	if ml, ok := f.Processors[memoryLimiterType]; ok {
		f.Processors[memoryLimiterType] = goMemoryLimitFactory{ml}
	}
	return f, nil
}
