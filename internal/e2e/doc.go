// Package e2e tests the whole aiusage system as it is deployed: the provider emulator
// answers the real SDKs, whose calls the instrumentation records and exports over OTLP
// to the built otelcol-aiusage binary, which stores them in DuckDB, serves the reports
// and exposes Prometheus metrics; a real Prometheus then evaluates every Grafana
// dashboard query and alert rule in collector-config/. It also holds the collector load
// benchmark. Everything lives in its tests; this file only names the package.
package e2e
