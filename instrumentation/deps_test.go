package instrumentation

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPureGoDependencies keeps the library linkable by any app: it builds
// without cgo and imports no collector or DuckDB package.
func TestPureGoDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	env := append(os.Environ(), "CGO_ENABLED=0")

	list := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".")
	list.Env = env
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{"go.opentelemetry.io/collector", "github.com/open-telemetry/opentelemetry-collector-contrib", "duckdb", "github.com/openai/", "google.golang.org/genai"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, cgo, _ := strings.Cut(line, " ")
		for _, f := range forbidden {
			if strings.Contains(path, f) {
				t.Errorf("instrumentation depends on %s", path)
			}
		}
		if cgo != "0" {
			t.Errorf("%s has cgo files with CGO_ENABLED=0", path)
		}
	}

	build := exec.Command(gobin, "build", "./...")
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./...: %v\n%s", err, out)
	}
}
