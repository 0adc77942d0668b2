package durability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // database/sql driver "duckdb", to read the file afterwards
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/aiusage/aiusage/internal/demo"
)

// collector runs the built distribution with the shipped configuration. Its DuckDB
// file and queue directory stay in dir and its OTLP/gRPC address stays the same
// across restarts, so a restarted collector picks up where the last one died.
type collector struct {
	t      *testing.T
	dir    string
	config string   // the configuration file; shippedConfig unless a test says otherwise
	otlp   string   // OTLP/gRPC host:port
	env    []string // AIUSAGE_* overrides: ports and paths only
	log    *os.File
	proc   *demo.Collector
}

// newCollector prepares a collector in a fresh directory; start runs it.
func newCollector(t *testing.T) *collector {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the built collector under load")
	}
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		t.Fatal(err)
	}
	otlp := freeAddr(t)
	c := &collector{t: t, dir: dir, config: shippedConfig, otlp: otlp, log: log,
		env: []string{"AIUSAGE_OTLP_GRPC_ENDPOINT=" + otlp}}
	t.Cleanup(func() {
		if c.proc != nil {
			c.kill()
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("collector log (last 8 KiB):\n%s", tail(b, 8<<10))
		}
	})
	return c
}

// db is the collector's DuckDB file.
func (c *collector) db() string { return filepath.Join(c.dir, "aiusage.duckdb") }

// startMarker is written to the collector log before each start.
const startMarker = "=== durability test: collector starting ==="

// start runs the collector and waits until it is healthy.
func (c *collector) start() {
	c.t.Helper()
	fmt.Fprintln(c.log, startMarker)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proc, err := demo.StartCollector(ctx, demo.CollectorOptions{
		Binary: collectorBin, Config: c.config, Dir: c.dir, Env: c.env, Log: c.log,
	})
	if err != nil {
		c.t.Fatalf("start collector: %v", err)
	}
	c.proc = proc
}

// kill ends the collector with SIGKILL: no shutdown, no flush, as an OOM kill or a
// power cut of the process would.
func (c *collector) kill() {
	c.t.Helper()
	if err := syscall.Kill(c.proc.PID(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		c.t.Fatalf("kill collector: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = c.proc.Stop(ctx) // reaps it; "signal: killed" is the expected outcome
	c.proc = nil
}

// stop shuts the collector down in order (SIGTERM).
func (c *collector) stop() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := c.proc.Stop(ctx)
	c.proc = nil
	if err != nil {
		c.t.Fatalf("stop collector: %v", err)
	}
}

// metric returns the sum of the collector's own metric name over the series whose
// labels include labels.
func (c *collector) metric(name string, labels map[string]string) (float64, error) {
	resp, err := http.Get("http://" + c.proc.Endpoints.Telemetry + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("collector metrics: %w", err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("collector metrics: %w", err)
	}
	var sum float64
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			match = match && have[k] == v
		}
		if match {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return sum, nil
}

// duckdbQueue selects the duckdb exporter's sending queue of traces.
var duckdbQueue = map[string]string{"exporter": "duckdb", "data_type": "traces"}

// waitQueueEmpty waits until the duckdb exporter's trace queue holds nothing, neither
// waiting nor being written.
func (c *collector) waitQueueEmpty(timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, err := c.metric("otelcol_exporter_queue_size", duckdbQueue)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("duckdb queue not empty after %s: %v spans' worth left (%v)", timeout, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startWarnings returns the warnings the collector logged while starting, every start
// so far: a shipped configuration starts clean.
func (c *collector) startWarnings() []string {
	c.t.Helper()
	b, err := os.ReadFile(c.log.Name())
	if err != nil {
		c.t.Fatal(err)
	}
	var warnings []string
	starting := false
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.HasPrefix(line, startMarker):
			starting = true
		case strings.Contains(line, "Everything is ready"):
			starting = false
		case starting && strings.Contains(line, "\twarn\t"):
			warnings = append(warnings, strings.TrimSpace(line))
		}
	}
	return warnings
}

// storedSpans counts the rows of ai_usage_log by span id, from a file no process holds.
func storedSpans(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT span_id, count(*) FROM ai_usage_log GROUP BY span_id")
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	defer rows.Close()
	stored := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stored[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return stored
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tail is the last n bytes of b, from a line start.
func tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	s := string(b[len(b)-n:])
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
