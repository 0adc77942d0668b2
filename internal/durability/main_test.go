package durability

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// collectorBin is the otelcol-aiusage binary TestMain built.
	collectorBin string
	// shippedConfig is collector-config/config.yaml, as the tests run it.
	shippedConfig = filepath.Join("..", "..", "collector-config", "config.yaml")
)

// TestMain builds the collector distribution once, unless -short skips every test
// that would run it. To measure a baseline, AIUSAGE_DURABILITY_COLLECTOR and
// AIUSAGE_DURABILITY_CONFIG run the tests against another build and configuration.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if cfg := os.Getenv("AIUSAGE_DURABILITY_CONFIG"); cfg != "" {
		shippedConfig = cfg
	}
	if bin := os.Getenv("AIUSAGE_DURABILITY_COLLECTOR"); bin != "" {
		collectorBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "aiusage-durability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "durability:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	collectorBin = filepath.Join(dir, "otelcol-aiusage")
	build := exec.Command("go", "build", "-o", collectorBin, "github.com/aiusage/aiusage/cmd/otelcol-aiusage")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "durability: build otelcol-aiusage:", err)
		return 1
	}
	return m.Run()
}
