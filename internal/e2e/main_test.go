package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// repoRoot is the repository's top directory (where go.mod is).
	repoRoot string
	// collectorBin is the otelcol-aiusage binary TestMain built.
	collectorBin string
)

// TestMain builds the collector distribution once for every test and benchmark: they
// run the binary as it ships, not the components in-process.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if repoRoot, err = findRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "aiusage-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	collectorBin = filepath.Join(dir, "otelcol-aiusage")
	build := exec.Command("go", "build", "-o", collectorBin, "./cmd/otelcol-aiusage")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build otelcol-aiusage:", err)
		return 1
	}
	return m.Run()
}

// findRoot walks up from the working directory to the directory holding go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// configPath is a file under collector-config/.
func configPath(parts ...string) string {
	return filepath.Join(append([]string{repoRoot, "collector-config"}, parts...)...)
}
