package e2e

import (
	"os"
	"os/exec"
	"testing"
)

// promtoolBin comes with Prometheus (the Debian prometheus package).
const promtoolBin = "/usr/bin/promtool"

// TestPromtool checks the scrape configuration and rules with promtool and runs the
// rules' unit tests (collector-config/prometheus/rules_test.yml).
func TestPromtool(t *testing.T) {
	if _, err := os.Stat(promtoolBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (CI installs the prometheus package): %v", promtoolBin, err)
		}
		t.Skipf("%s missing", promtoolBin)
	}
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml"},
	} {
		cmd := exec.Command(promtoolBin, args...)
		cmd.Dir = configPath("prometheus")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
