package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aiusage/aiusage/internal/collectorbin"
)

var (
	// repoRoot is the repository's top directory (where go.mod is).
	repoRoot string
	// collectorBin is the otelcol-aiusage binary TestMain built.
	collectorBin string
)

// TestMain builds the collector distribution once for every test and benchmark: they
// run the binary as it ships, not the components in-process. Under -short nothing is
// built and the tests that need the binary skip.
func TestMain(m *testing.M) {
	var err error
	if repoRoot, err = findRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(collectorbin.Main(m, &collectorBin))
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
