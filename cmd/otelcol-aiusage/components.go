package main

import (
	"github.com/aiusage/aiusage/exporter/duckdbexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// Module versions, as `otelcol-aiusage components` reports them. Keep them and the
// component lists below in step with collector-config/builder-config.yaml and go.mod.
const (
	coreModules    = " v0.165.0"
	contribModules = " v0.165.1"
	aiusageModule  = "github.com/aiusage/aiusage"
)

// built pairs a factory with the Go module that provides it.
type built[T component.Factory] struct {
	factory T
	module  string
}

// components lists the distribution's factories.
func components() (otelcol.Factories, error) {
	var (
		f   otelcol.Factories
		err error
	)
	f.Telemetry = otelconftelemetry.NewFactory()
	if f.Receivers, f.ReceiverModules, err = factoryMap(
		built[receiver.Factory]{otlpreceiver.NewFactory(), "go.opentelemetry.io/collector/receiver/otlpreceiver" + coreModules},
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Processors, f.ProcessorModules, err = factoryMap(
		built[processor.Factory]{memorylimiterprocessor.NewFactory(), "go.opentelemetry.io/collector/processor/memorylimiterprocessor" + coreModules},
		built[processor.Factory]{batchprocessor.NewFactory(), "go.opentelemetry.io/collector/processor/batchprocessor" + coreModules},
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Exporters, f.ExporterModules, err = factoryMap(
		built[exporter.Factory]{duckdbexporter.NewFactory(), aiusageModule + "/exporter/duckdbexporter"},
		built[exporter.Factory]{debugexporter.NewFactory(), "go.opentelemetry.io/collector/exporter/debugexporter" + coreModules},
		built[exporter.Factory]{prometheusexporter.NewFactory(), "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter" + contribModules},
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Extensions, f.ExtensionModules, err = factoryMap(
		built[extension.Factory]{healthcheckextension.NewFactory(), "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension" + contribModules},
		built[extension.Factory]{filestorage.NewFactory(), "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage" + contribModules},
	); err != nil {
		return otelcol.Factories{}, err
	}
	return f, nil
}

// factoryMap indexes factories and their modules by component type; a type listed
// twice is an error.
func factoryMap[T component.Factory](entries ...built[T]) (map[component.Type]T, map[component.Type]string, error) {
	factories := make([]T, len(entries))
	modules := make(map[component.Type]string, len(entries))
	for i, e := range entries {
		factories[i] = e.factory
		modules[e.factory.Type()] = e.module
	}
	m, err := otelcol.MakeFactoryMap(factories...)
	if err != nil {
		return nil, nil, err
	}
	return m, modules, nil
}
