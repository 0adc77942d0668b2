// Package fleet proves the fleet of collector-config/fleet with the built collector: an
// agent collector spreading spans over gateway collectors with the otlp exporter's
// round_robin balancing over a dns:/// name, each gateway writing its own DuckDB file
// and archiving its sealed UTC days into one Parquet lake; the reports over the lake
// equal what the SDKs saw and the union of the gateways' files; a second and a third
// Parquet reader (parquet-go, DuckDB's Node client) agree on the files; a gateway
// killed while archiving loses and doubles nothing.
//
// The tests belong to the full tier (skipped under go test -short), run on loopback
// only (gateways on 127.0.0.2-4 behind a DNS server of the test's own) and print their
// figures:
//
//	go test -count=1 -v ./internal/fleet/
package fleet
