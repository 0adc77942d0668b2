package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aiusage/aiusage/internal/demo"
)

// prometheusBin is the Debian package's server (apt-get install prometheus).
const prometheusBin = "/usr/bin/prometheus"

// prometheus is a Prometheus server the test started.
type prometheus struct {
	url string // http://127.0.0.1:port
}

// startPrometheus runs a real Prometheus on loopback with collector-config's scrape
// configuration and rules, pointed at col and scraping every second. It returns nil
// when Prometheus is not installed, unless CI=true, where that fails the test.
func startPrometheus(t *testing.T, col *demo.Collector) *prometheus {
	t.Helper()
	if _, err := os.Stat(prometheusBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (CI installs the prometheus package): %v", prometheusBin, err)
		}
		t.Logf("%s missing: the Prometheus part is skipped", prometheusBin)
		return nil
	}
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.yml")
	writeTestRules(t, rulesFile)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	writeTestScrapeConfig(t, cfgFile, rulesFile, col.Endpoints)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prometheusBin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("prometheus log:\n%s", tail(b, 4000))
		}
	})
	p := &prometheus{url: "http://" + addr}
	poll(t, time.Minute, "prometheus ready", func() (bool, error) {
		select {
		case <-exited:
			return false, fmt.Errorf("prometheus exited")
		default:
		}
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return p
}

// testRecords are the recording rules writeTestRules overrides: the daily budget at zero,
// so the budget alert has spend to fire on (emulated traffic costs fractions of a cent),
// and the least spend an anomaly needs at zero, for the same reason.
var testRecords = map[string]string{
	"aiusage:cost_budget_usd:per_day": "vector(0)",
	"aiusage:cost_anomaly_min_usd":    "vector(0)",
}

// writeTestRules copies rules.yml with testRecords' expressions.
func writeTestRules(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(configPath("prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				expr, ok := testRecords[n.Content[i+1].Value]
				if n.Content[i].Value != "record" || !ok {
					continue
				}
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j].Value == "expr" {
						n.Content[j+1].Value = expr
						found[n.Content[i+1].Value] = true
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	for name := range testRecords {
		if !found[name] {
			t.Fatalf("rules.yml: no %s recording rule to set", name)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTestScrapeConfig copies prometheus.yml with one-second scrapes and evaluations,
// the test's rules file, and each job pointed at the running collector.
func writeTestScrapeConfig(t *testing.T, path, rulesFile string, ep demo.Endpoints) {
	t.Helper()
	b, err := os.ReadFile(configPath("prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	targets := map[string]string{"aiusage": ep.Prometheus, "otelcol-aiusage": ep.Telemetry}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []string{rulesFile}
	jobs, _ := cfg["scrape_configs"].([]any)
	if len(jobs) == 0 {
		t.Fatal("prometheus.yml: no scrape_configs")
	}
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		name, _ := job["job_name"].(string)
		target, ok := targets[name]
		if !ok {
			t.Fatalf("prometheus.yml: job %q: the test does not know which collector endpoint it scrapes", name)
		}
		job["static_configs"] = []any{map[string]any{"targets": []string{target}}}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sample is one element of an instant vector.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query evaluates expr at time at through the HTTP API.
func (p *prometheus) query(ctx context.Context, expr string, at time.Time) ([]sample, error) {
	q := url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(at.UnixNano())/1e9, 'f', 3, 64)}}
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/query?"+q.Encode(), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", expr, body.Data.ResultType)
	}
	out := make([]sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %w", expr, r.Value[1], err)
		}
		out = append(out, sample{Metric: r.Metric, Value: v})
	}
	return out, nil
}

// alertStates returns the state (pending or firing) of each active alert by name.
func (p *prometheus) alertStates(ctx context.Context) (map[string]string, error) {
	var body struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/alerts", &body); err != nil {
		return nil, err
	}
	states := map[string]string{}
	for _, a := range body.Data.Alerts {
		states[a.Labels["alertname"]] = a.State
	}
	return states, nil
}

func (p *prometheus) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, resp.Status, err)
	}
	return nil
}

// poll calls cond until it reports true, fails the test on its error or after limit.
func poll(t testing.TB, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
