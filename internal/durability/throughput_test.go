package durability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestCollectorThroughput is `make bench-collector`: the built collector with the
// shipped configuration, and a baseline whose pipelines end in the debug exporter
// instead of DuckDB, each offered GenAI spans at fixed rates over loopback. Per run it
// prints the spans acknowledged and stored a second, the refusals, the collector's CPU
// time per span and its peak resident memory. A benchmark, not a test: it asserts
// nothing about time, and runs only when asked.
func TestCollectorThroughput(t *testing.T) {
	if os.Getenv("AIUSAGE_BENCH_COLLECTOR") == "" {
		t.Skip("a benchmark: make bench-collector (AIUSAGE_BENCH_COLLECTOR=1)")
	}
	rates := []float64{5_000, 20_000, 50_000}
	if s := os.Getenv("AIUSAGE_BENCH_RATES"); s != "" {
		rates = rates[:0]
		for f := range strings.SplitSeq(s, ",") {
			r, err := strconv.ParseFloat(f, 64)
			if err != nil || r <= 0 {
				t.Fatalf("AIUSAGE_BENCH_RATES: %q is not a rate", f)
			}
			rates = append(rates, r)
		}
	}
	const warmup, measure = 3 * time.Second, 10 * time.Second
	baseline := debugConfig(t)
	type result struct {
		pipeline string
		offered  float64
		run      throughput
	}
	var results []result
	for _, rate := range rates {
		// Side by side, rate by rate: the machine's noise hits both alike.
		for _, p := range []struct{ name, config, exporter string }{
			{"debug", baseline, "debug"},
			{"duckdb", shippedConfig, "duckdb"},
		} {
			c := newCollector(t)
			c.config = p.config
			c.start()
			run := c.measureThroughput(rate, p.exporter, warmup, measure)
			c.stop()
			results = append(results, result{p.name, rate, run})
		}
	}
	t.Logf("collector throughput, %s warm-up then %s per run, %d cores", warmup, measure, runtime.NumCPU())
	t.Logf("%-7s %9s %11s %9s %8s %9s %8s %8s", "pipeline", "offered/s", "accepted/s", "stored/s", "refused", "CPU/span", "vs debug", "peak RSS")
	for i, r := range results {
		ratio := "-"
		if r.pipeline == "duckdb" && i > 0 && results[i-1].run.cpuPerSpan > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.run.cpuPerSpan)/float64(results[i-1].run.cpuPerSpan))
		}
		t.Logf("%-8s %9.0f %11.0f %9.0f %8d %9s %8s %8s", r.pipeline, r.offered, r.run.accepted, r.run.stored,
			r.run.refused, r.run.cpuPerSpan.Round(100*time.Nanosecond), ratio, mib(r.run.peakRSS))
	}
}

// throughput is one run of the collector at one offered rate.
type throughput struct {
	accepted, stored float64       // spans a second: acknowledged to the generator, sent on by the exporter
	refused          int64         // export attempts the collector refused (retryable)
	cpuPerSpan       time.Duration // the collector's user+system CPU per accepted span
	peakRSS          int64         // the collector's high-water resident set
}

// measureThroughput offers rate spans a second for warmup+d and measures the last d.
func (c *collector) measureThroughput(rate float64, exporter string, warmup, d time.Duration) throughput {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gen, err := Start(ctx, Options{Endpoint: c.otlp, Rate: rate, Streams: 4})
	if err != nil {
		c.t.Fatal(err)
	}
	time.Sleep(warmup)
	sent := func() float64 {
		n, err := c.metric("otelcol_exporter_sent_spans", map[string]string{"exporter": exporter})
		if err != nil {
			c.t.Fatal(err)
		}
		return n
	}
	pid := c.proc.PID()
	s0, stored0, cpu0, start := gen.Stats(), sent(), cpuTime(c.t, pid), time.Now()
	time.Sleep(d)
	s1, stored1, cpu1, secs := gen.Stats(), sent(), cpuTime(c.t, pid), time.Since(start).Seconds()
	peak, err := procStatus(pid, "VmHWM")
	if err != nil {
		c.t.Fatal(err)
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer stopCancel()
	if err := gen.Stop(stopCtx); err != nil {
		c.t.Logf("generator stop: %v", err)
	}
	acked := s1.Acknowledged - s0.Acknowledged
	refused := s1.Attempts[codes.Unavailable] - s0.Attempts[codes.Unavailable] +
		s1.Attempts[codes.ResourceExhausted] - s0.Attempts[codes.ResourceExhausted]
	run := throughput{accepted: float64(acked) / secs, stored: (stored1 - stored0) / secs, refused: refused, peakRSS: peak}
	if acked > 0 {
		run.cpuPerSpan = (cpu1 - cpu0) / time.Duration(acked)
	}
	return run
}

// debugConfig writes the shipped configuration with every pipeline ending in the debug
// exporter instead: the same receiver, limiter and telemetry, nothing stored.
func debugConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for _, pipe := range []string{"exporters: [duckdb]", "exporters: [duckdb, prometheus]"} {
		if !strings.Contains(cfg, pipe) {
			t.Fatalf("%s has no pipeline with %q: the baseline cannot be derived", shippedConfig, pipe)
		}
		cfg = strings.ReplaceAll(cfg, pipe, "exporters: [debug]")
	}
	path := filepath.Join(t.TempDir(), "debug.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cpuTime is a process's user plus system CPU time so far, from /proc/pid/stat.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		t.Fatalf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: utime %q, stime %q", pid, fields[11], fields[12])
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}
