package main

import (
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/aiusage/aiusage/exporter/duckdbexporter"
)

// components lists the distribution's factories, each with the Go module (and version)
// that provides it, as `otelcol-aiusage components` reports them. The versions come
// from the binary's build information, so they are the ones go.mod resolved and the
// binary links; a test holds the list against collector-config/builder-config.yaml.
func components() (otelcol.Factories, error) {
	var (
		f   otelcol.Factories
		err error
	)
	f.Telemetry = otelconftelemetry.NewFactory()
	if f.Receivers, f.ReceiverModules, err = factoryMap(
		linked(otlpreceiver.NewFactory),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Processors, f.ProcessorModules, err = factoryMap(
		linked(memorylimiterprocessor.NewFactory),
		linked(batchprocessor.NewFactory),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Exporters, f.ExporterModules, err = factoryMap(
		linked(duckdbexporter.NewFactory),
		linked(debugexporter.NewFactory),
		linked(otlpexporter.NewFactory), // the agent tier of a fleet: spans spread over the gateways
		linked(prometheusexporter.NewFactory),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Extensions, f.ExtensionModules, err = factoryMap(
		linked(healthcheckextension.NewFactory),
		linked(filestorage.NewFactory),
	); err != nil {
		return otelcol.Factories{}, err
	}
	return f, nil
}

// built pairs a factory with the Go module that provides it: "path version".
type built[T component.Factory] struct {
	factory T
	module  string
}

// linked builds the factory newFactory makes and names its module: newFactory's
// package is in the module whose path is its longest prefix among the binary's.
func linked[T component.Factory](newFactory func() T) built[T] {
	fn := runtime.FuncForPC(reflect.ValueOf(newFactory).Pointer()).Name() // "go.opentelemetry.io/.../otlpreceiver.NewFactory"
	slash := strings.LastIndex(fn, "/")
	pkg := fn[:slash+strings.Index(fn[slash:], ".")]
	return built[T]{factory: newFactory(), module: moduleOf(pkg)}
}

// moduleOf is "path version" of the module providing package pkg, from the binary's
// build information; without it (a binary built outside module mode), pkg alone.
func moduleOf(pkg string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return pkg
	}
	best := ""
	version := ""
	for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if (pkg == m.Path || strings.HasPrefix(pkg, m.Path+"/")) && len(m.Path) > len(best) {
			best, version = m.Path, m.Version
		}
	}
	switch {
	case best == "":
		return pkg
	case version == "" || version == "(devel)": // built from a checkout
		return best
	}
	return best + " " + version
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
