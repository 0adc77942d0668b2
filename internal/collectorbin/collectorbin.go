// Package collectorbin builds the otelcol-aiusage distribution for the tests that run
// the collector as it ships, once per test binary. Under -short it builds nothing: the
// fast tier runs no collector binary.
package collectorbin

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Package is the import path of the collector distribution's main package.
const Package = "github.com/aiusage/aiusage/cmd/otelcol-aiusage"

// Build compiles the collector distribution into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "otelcol-aiusage")
	cmd := exec.Command("go", "build", "-o", bin, Package)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w", Package, err)
	}
	return bin, nil
}

// Main runs a test binary's tests as TestMain would, with *bin set to a freshly built
// collector, or left empty under -short (tests that need it call Need). It returns the
// exit code for os.Exit.
func Main(m *testing.M, bin *string) int {
	flag.Parse()
	if testing.Short() || *bin != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "aiusage-collector-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "collectorbin:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "collectorbin:", err)
		return 1
	}
	return m.Run()
}

// Need skips t when no collector was built (the -short tier).
func Need(t testing.TB, bin string) {
	t.Helper()
	if bin == "" {
		t.Skip("runs the built collector: not in -short")
	}
}
