// Package durability proves what the shipped collector promises under stress: every
// span it acknowledged is stored exactly once however often it is killed, its memory
// stays within the configured footprint when offered more large-content spans than it
// can take, and report queries do not starve ingest.
//
// The tests run the built otelcol-aiusage binary with collector-config/config.yaml
// (environment overrides only for ports and paths) against a Generator: real GenAI
// spans recorded by the aiusage instrumentation through the OTel SDK and sent over
// OTLP/gRPC, with every acknowledged span id remembered. They belong to the full test
// tier (skipped under go test -short), send to loopback only and print their figures:
//
//	go test -count=1 -v ./internal/durability/
package durability
