package instrumentation

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// forbidden are module and package paths an app linking the library must never
// get: the collector, DuckDB, Prometheus, the provider SDKs, otelhttp and the
// repository's root module.
var forbidden = []string{
	"go.opentelemetry.io/collector", "github.com/open-telemetry/opentelemetry-collector-contrib",
	"duckdb", "prometheus", "github.com/openai/", "google.golang.org/genai",
	"go.opentelemetry.io/contrib", "github.com/aiusage/aiusage/internal",
}

// gocmd runs the go command in dir with env added to this process's environment.
func gocmd(t *testing.T, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// TestModuleRequiresOnlyOpenTelemetry keeps the library's own module, its
// tests included, to OpenTelemetry and the standard library.
func TestModuleRequiresOnlyOpenTelemetry(t *testing.T) {
	var mod struct {
		Module  struct{ Path string }
		Require []struct {
			Path     string
			Indirect bool
		}
	}
	if err := json.Unmarshal(gocmd(t, ".", nil, "mod", "edit", "-json"), &mod); err != nil {
		t.Fatal(err)
	}
	if mod.Module.Path != ScopeName {
		t.Errorf("module %s, want %s", mod.Module.Path, ScopeName)
	}
	for _, r := range mod.Require {
		if !r.Indirect && !strings.HasPrefix(r.Path, "go.opentelemetry.io/otel") {
			t.Errorf("go.mod requires %s: the library requires only OpenTelemetry", r.Path)
		}
	}
}

// TestPureGoDependencies keeps the library linkable by any app: it and its
// tests build without cgo and import nothing forbidden.
func TestPureGoDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	env := []string{"CGO_ENABLED=0"}
	out := gocmd(t, ".", env, "list", "-deps", "-test", "-f", "{{len .CgoFiles}} {{.ImportPath}}", "./...")
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		cgo, path, _ := strings.Cut(line, " ")
		for _, f := range forbidden {
			if strings.Contains(path, f) {
				t.Errorf("instrumentation depends on %s", path)
			}
		}
		if cgo != "0" {
			t.Errorf("%s has cgo files with CGO_ENABLED=0", path)
		}
	}
	gocmd(t, ".", env, "build", "./...")
}

// TestAppModuleGraph builds testdata/app, a module of its own that requires the
// library as an app does (here replaced by this checkout), and checks that its
// module graph holds none of the collector, DuckDB, Prometheus or SDK modules
// the rest of the repository needs. Missing requirements resolve through the
// module proxy when the module cache lacks them.
func TestAppModuleGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	lib, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join("testdata", "app", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gomod = []byte(strings.Replace(string(gomod), "=> ../..", "=> "+lib, 1))
	// The library's checksums cover every module the app can need.
	sums, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("testdata", "app", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": gomod, "go.sum": sums, "main.go": main} {
		if err := os.WriteFile(filepath.Join(app, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	env := []string{"GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0"}
	gocmd(t, app, env, "build", "-o", filepath.Join(app, "app"), ".")
	modules := strings.Fields(string(gocmd(t, app, env, "list", "-m", "-f", "{{.Path}}", "all")))
	if len(modules) < 3 {
		t.Fatalf("module graph %v: too small to be real", modules)
	}
	for _, m := range modules {
		if m == "github.com/aiusage/aiusage" {
			t.Errorf("the app's module graph holds the repository's root module")
		}
		for _, f := range forbidden {
			if strings.Contains(m, f) {
				t.Errorf("the app's module graph holds %s", m)
			}
		}
	}
	t.Logf("the app's module graph: %d modules: %s", len(modules), strings.Join(modules, " "))
}
