package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aiusage/aiusage/internal/collectorbin"
)

// TestConfigEnvironment checks that collector-config/config.yaml loads in the built
// collector with its defaults, and that environment variables reach the components:
// a bad value is refused naming its key.
func TestConfigEnvironment(t *testing.T) {
	collectorbin.Need(t, collectorBin)
	dir := t.TempDir()
	base := []string{"AIUSAGE_DB=" + filepath.Join(dir, "a.duckdb"), "AIUSAGE_QUEUE_DIR=" + filepath.Join(dir, "queue")}
	tests := []struct {
		name    string
		env     []string
		wantErr string // "" = valid
	}{
		{name: "defaults"},
		{name: "every endpoint moved", env: []string{
			"AIUSAGE_OTLP_GRPC_ENDPOINT=127.0.0.1:14317", "AIUSAGE_OTLP_HTTP_ENDPOINT=127.0.0.1:14318",
			"AIUSAGE_PROMETHEUS_ENDPOINT=127.0.0.1:18889", "AIUSAGE_HEALTH_ENDPOINT=127.0.0.1:23133",
			"AIUSAGE_REPORTS_ENDPOINT=127.0.0.1:18765", "AIUSAGE_TELEMETRY_PORT=18888",
			"AIUSAGE_RETENTION=720h", "AIUSAGE_DUCKDB_MEMORY_LIMIT=1GB", "AIUSAGE_MEMORY_LIMIT_MIB=1024",
			"AIUSAGE_DUCKDB_THREADS=2", "AIUSAGE_CHECKPOINT_THRESHOLD=256MB", "AIUSAGE_RETENTION_INTERVAL=10m",
			"AIUSAGE_EXPORT_TIMEOUT=1m", "AIUSAGE_TELEMETRY_LEVEL=detailed", "AIUSAGE_MEMORY_CHECK_INTERVAL=2s",
		}},
		{name: "reports beyond loopback with a token", env: []string{
			"AIUSAGE_REPORTS_ENDPOINT=0.0.0.0:8765", "AIUSAGE_REPORTS_PUBLIC=true", "AIUSAGE_REPORTS_TOKEN=s3cret-0123456789",
		}},
		{name: "reports beyond loopback with a short token", env: []string{
			"AIUSAGE_REPORTS_ENDPOINT=0.0.0.0:8765", "AIUSAGE_REPORTS_PUBLIC=true", "AIUSAGE_REPORTS_TOKEN=s3cret",
		}, wantErr: "reports.bearer_token: a token of at least 16 bytes"},
		{name: "reports beyond loopback without a token", env: []string{
			"AIUSAGE_REPORTS_ENDPOINT=0.0.0.0:8765", "AIUSAGE_REPORTS_PUBLIC=true",
		}, wantErr: "reports.bearer_token"},
		{name: "duckdb threads", env: []string{"AIUSAGE_DUCKDB_THREADS=-1"}, wantErr: "threads"},
		{name: "retention too short", env: []string{"AIUSAGE_RETENTION=30m"}, wantErr: "retention"},
		{name: "reports beyond loopback", env: []string{"AIUSAGE_REPORTS_ENDPOINT=0.0.0.0:8765"}, wantErr: "reports.endpoint"},
		{name: "duckdb memory limit", env: []string{"AIUSAGE_DUCKDB_MEMORY_LIMIT=lots"}, wantErr: "memory_limit"},
		{name: "batch timeout", env: []string{"AIUSAGE_BATCH_TIMEOUT=soon"}, wantErr: "timeout"},
		{name: "budgets webhook", env: []string{"AIUSAGE_BUDGETS_WEBHOOK_URL=https://hooks.example/aiusage",
			"AIUSAGE_BUDGETS_WEBHOOK_SECRET=0123456789abcdef", "AIUSAGE_BUDGETS_INTERVAL=1s"}},
		{name: "budgets webhook without a secret", env: []string{"AIUSAGE_BUDGETS_WEBHOOK_URL=https://hooks.example/aiusage"},
			wantErr: "budgets.webhook.secret"},
		{name: "budgets file missing", env: []string{"AIUSAGE_BUDGETS_FILE=/nonexistent/budgets.yaml"}, wantErr: "budgets.file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(collectorBin, "validate", "--config", configPath("config.yaml"))
			cmd.Env = append(append(os.Environ(), base...), tt.env...)
			out, err := cmd.CombinedOutput()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("validate: %v\n%s", err, out)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("validate accepted %v", tt.env)
			case tt.wantErr != "" && !strings.Contains(string(out), tt.wantErr):
				t.Fatalf("validate refused %v without naming %q:\n%s", tt.env, tt.wantErr, out)
			}
		})
	}
}

// TestComponents checks the built distribution holds every component the issue and
// collector-config/builder-config.yaml list, each with the module it comes from.
func TestComponents(t *testing.T) {
	collectorbin.Need(t, collectorBin)
	out, err := exec.Command(collectorBin, "components").CombinedOutput()
	if err != nil {
		t.Fatalf("components: %v\n%s", err, out)
	}
	var got struct {
		Receivers, Processors, Exporters, Extensions []struct {
			Name   string `yaml:"name"`
			Module string `yaml:"module"`
		}
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("components output: %v\n%s", err, out)
	}
	for _, kind := range []struct {
		name string
		list []struct {
			Name   string `yaml:"name"`
			Module string `yaml:"module"`
		}
		want []string
	}{
		{"receivers", got.Receivers, []string{"otlp"}},
		{"processors", got.Processors, []string{"batch", "memory_limiter"}},
		{"exporters", got.Exporters, []string{"debug", "duckdb", "otlp_grpc", "prometheus"}},
		{"extensions", got.Extensions, []string{"file_storage", "health_check"}},
	} {
		var names []string
		for _, c := range kind.list {
			names = append(names, c.Name)
			if c.Module == "" {
				t.Errorf("%s %s: no module", kind.name, c.Name)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, kind.want) {
			t.Errorf("%s = %v, want %v", kind.name, names, kind.want)
		}
	}
}
