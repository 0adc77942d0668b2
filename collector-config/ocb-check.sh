#!/usr/bin/env bash
# Checks that collector-config/builder-config.yaml builds a working collector with ocb:
# installs the builder at the collector release the project pins, builds the manifest
# (cgo on; slow: minutes, it resolves and compiles every component), then asks the
# result for its components and validates collector-config/config.yaml with it.
#
#   collector-config/ocb-check.sh            (from anywhere; `make ocb-check`)
set -euo pipefail
cd "$(dirname "$0")/.."

OCB_VERSION=v0.165.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "ocb-check: installing builder ${OCB_VERSION}"
GOBIN="$work/bin" go install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}"

# Build outside the source tree: a copy of the manifest with output_path in $work, and
# its replaces (relative to output_path) made absolute.
sed -e "s#^\(  output_path:\).*#\1 $work/dist#" \
	-e "s#=> \.\./\.\./#=> $PWD/#" collector-config/builder-config.yaml > "$work/builder-config.yaml"
echo "ocb-check: building $(grep -c 'gomod:' "$work/builder-config.yaml") modules into $work/dist"
CGO_ENABLED=1 GOFLAGS=-buildvcs=false "$work/bin/builder" --config "$work/builder-config.yaml"

bin="$work/dist/otelcol-aiusage"
components=$("$bin" components)
for want in otlp memory_limiter batch duckdb debug prometheus health_check file_storage; do
	if ! grep -q -- "- name: ${want}\$" <<<"$components"; then
		echo "ocb-check: the built collector lacks component ${want}" >&2
		exit 1
	fi
done
AIUSAGE_DB="$work/check.duckdb" AIUSAGE_QUEUE_DIR="$work/queue" \
	"$bin" validate --config collector-config/config.yaml
echo "ocb-check: OK: $("$bin" --version)"
