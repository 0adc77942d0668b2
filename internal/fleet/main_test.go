package fleet

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
	// repoRoot is the repository's top directory.
	repoRoot = filepath.Join("..", "..")
)

// TestMain builds the collector distribution once, unless -short skips every test
// that would run it.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "aiusage-fleet-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
	collectorBin = filepath.Join(dir, "otelcol-aiusage")
	build := exec.Command("go", "build", "-o", collectorBin, "github.com/aiusage/aiusage/cmd/otelcol-aiusage")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet: build otelcol-aiusage:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// configPath is a file under collector-config/.
func configPath(parts ...string) string {
	return filepath.Join(append([]string{repoRoot, "collector-config"}, parts...)...)
}
