package durability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/otlpload"
)

// TestCollectorThroughput is `make bench-collector`: the built collector with the
// shipped configuration, and a baseline whose pipelines end in the debug exporter
// instead of DuckDB, each offered GenAI spans at fixed rates over loopback by each
// load: prebuilt OTLP batches (otlp, the cheapest), the aiusage instrumentation
// recording calls (aiusage) and the contrib load generator (telemetrygen, when
// AIUSAGE_BENCH_TELEMETRYGEN names it). Per run it prints the spans accepted and
// stored a second, the spans refused, the collector's CPU time per span, its peak
// resident memory, the load's own CPU per span and how busy the machine was: the load
// shares the machine with the collector. A benchmark, not a test: it asserts nothing
// about time, and runs only when asked.
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
	loads := []load{otlpLoad{}, aiusageLoad{}}
	if bin := os.Getenv("AIUSAGE_BENCH_TELEMETRYGEN"); bin != "" {
		loads = append(loads, telemetrygenLoad{bin: bin})
	} else {
		t.Log("AIUSAGE_BENCH_TELEMETRYGEN unset: no telemetrygen load (make bench-collector installs it)")
	}
	if s := os.Getenv("AIUSAGE_BENCH_LOADS"); s != "" {
		want := strings.Split(s, ",")
		loads = slices.DeleteFunc(loads, func(l load) bool { return !slices.Contains(want, l.name()) })
		if len(loads) == 0 {
			t.Fatalf("AIUSAGE_BENCH_LOADS=%s: none of otlp, aiusage, telemetrygen (the last needs AIUSAGE_BENCH_TELEMETRYGEN)", s)
		}
	}
	const warmup, measure = 3 * time.Second, 10 * time.Second
	baseline := debugConfig(t)
	type result struct {
		load, pipeline string
		offered        float64
		run            throughput
	}
	var results []result
	for _, l := range loads {
		for _, rate := range rates {
			// Side by side, rate by rate: the machine's noise hits both alike.
			for _, p := range []struct{ name, config, exporter string }{
				{"debug", baseline, "debug"},
				{"duckdb", shippedConfig, "duckdb"},
			} {
				c := newCollector(t)
				c.config = p.config
				c.start()
				run := c.measureThroughput(l, rate, p.exporter, warmup, measure)
				c.stop()
				results = append(results, result{l.name(), p.name, rate, run})
			}
		}
	}
	t.Logf("collector throughput, %s warm-up then %s per run, %d cores", warmup, measure, runtime.NumCPU())
	t.Logf("%-12s %-8s %9s %11s %9s %8s %9s %8s %8s %9s %5s", "load", "pipeline", "offered/s", "accepted/s", "stored/s",
		"refused", "CPU/span", "vs debug", "peak RSS", "load/span", "busy")
	for i, r := range results {
		ratio := "-"
		if r.pipeline == "duckdb" && i > 0 && results[i-1].run.cpuPerSpan > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.run.cpuPerSpan)/float64(results[i-1].run.cpuPerSpan))
		}
		t.Logf("%-12s %-8s %9.0f %11.0f %9.0f %8d %9s %8s %8s %9s %4.0f%%", r.load, r.pipeline, r.offered,
			r.run.accepted, r.run.stored, r.run.refused, r.run.cpuPerSpan.Round(100*time.Nanosecond), ratio,
			mib(r.run.peakRSS), r.run.loadPerSpan.Round(100*time.Nanosecond), 100*r.run.busy)
	}
	t.Log("accepted and refused: spans the collector's OTLP receiver acknowledged and refused (retryable); " +
		"CPU/span: the collector's CPU per span accepted; load/span: the load generator's CPU per span offered; " +
		"busy: the share of the machine's cores in use, by any process")
}

// throughput is one run of the collector at one offered rate.
type throughput struct {
	accepted, stored float64       // spans a second: acknowledged by the receiver, stored (or logged) by the exporter
	refused          int64         // spans the receiver refused (retryable: the memory limiter or a full queue)
	cpuPerSpan       time.Duration // the collector's user+system CPU per accepted span
	peakRSS          int64         // the collector's high-water resident set
	// loadPerSpan is the load generator's CPU per span offered: on a machine it shares
	// with the collector, what the offered load itself costs.
	loadPerSpan time.Duration
	busy        float64 // the share of the machine's cores in use, by any process
}

// A load offers spans to a collector at a rate until stopped.
type load interface {
	name() string
	// start begins offering rate spans a second to the OTLP/gRPC endpoint for at
	// least d, and returns the CPU time the load has used so far and a stop function.
	start(t *testing.T, endpoint string, rate float64, d time.Duration) (cpu func() time.Duration, stop func())
}

// otlpLoad sends prebuilt OTLP batches of GenAI spans (internal/otlpload): the
// cheapest load, so that the collector has the machine's cores to itself.
type otlpLoad struct{}

func (otlpLoad) name() string { return "otlp" }

func (otlpLoad) start(t *testing.T, endpoint string, rate float64, _ time.Duration) (func() time.Duration, func()) {
	l, err := otlpload.Start(context.Background(), otlpload.Options{Endpoint: endpoint, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	return func() time.Duration { return cpuTime(t, self) }, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.Stop(ctx); err != nil {
			t.Logf("otlp load stop: %v", err)
		}
	}
}

// aiusageLoad is this repository's generator: calls recorded with the aiusage
// instrumentation and the OTel SDK in this process, real GenAI spans (usage,
// attribution, rate limits, cost; 21 attributes).
type aiusageLoad struct{}

func (aiusageLoad) name() string { return "aiusage" }

func (aiusageLoad) start(t *testing.T, endpoint string, rate float64, _ time.Duration) (func() time.Duration, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	gen, err := Start(ctx, Options{Endpoint: endpoint, Rate: rate, Streams: 4})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	self := os.Getpid()
	return func() time.Duration { return cpuTime(t, self) }, func() {
		defer cancel()
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer stopCancel()
		if err := gen.Stop(stopCtx); err != nil {
			t.Logf("generator stop: %v", err)
		}
	}
}

// telemetrygenLoad is the contrib load generator, its root spans carrying the
// attributes of a Groq chat call, so the exporter stores each as a GenAI call.
type telemetrygenLoad struct{ bin string }

func (telemetrygenLoad) name() string { return "telemetrygen" }

// telemetrygenAttributes are a chat call's attributes, in telemetrygen's flag syntax.
var telemetrygenAttributes = []string{
	`gen_ai.operation.name="chat"`, `gen_ai.provider.name="groq"`,
	`gen_ai.request.model="llama-3.3-70b-versatile"`, `gen_ai.response.model="llama-3.3-70b-versatile"`,
	`gen_ai.response.finish_reasons=["stop"]`, `gen_ai.request.stream=false`,
	`gen_ai.usage.input_tokens=412`, `gen_ai.usage.output_tokens=96`,
	`server.address="api.groq.com"`, `server.port=443`, `http.response.status_code=200`,
	`aiusage.project.id="bench"`, `aiusage.ratelimit.requests.limit=14400`,
	`aiusage.ratelimit.requests.remaining=14000`, `aiusage.ratelimit.tokens.limit=250000`,
	`aiusage.ratelimit.tokens.remaining=240000`, `aiusage.cost.status="unpriced"`,
}

func (l telemetrygenLoad) start(t *testing.T, endpoint string, rate float64, d time.Duration) (func() time.Duration, func()) {
	// A worker makes its spans one at a time behind a rate limiter: one per 1,000
	// spans a second keeps each well below what it can make.
	workers := max(4, int(rate/1000))
	args := []string{"traces", "--otlp-endpoint", endpoint, "--otlp-insecure",
		"--workers", strconv.Itoa(workers), "--rate", strconv.FormatFloat(rate/float64(workers), 'f', -1, 64),
		"--child-spans", "0", "--batch-size", "512", "--duration", (d + 10*time.Second).String(),
		"--service", "telemetrygen", "--allow-export-failures"}
	for _, a := range telemetrygenAttributes {
		args = append(args, "--telemetry-attributes", a)
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "telemetrygen.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(l.bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", l.bin, err)
	}
	pid := cmd.Process.Pid
	return func() time.Duration { return cpuTime(t, pid) }, func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
	}
}

// measureThroughput has l offer rate spans a second for warmup+d and measures the last d.
func (c *collector) measureThroughput(l load, rate float64, exporter string, warmup, d time.Duration) throughput {
	c.t.Helper()
	loadCPU, stop := l.start(c.t, c.otlp, rate, warmup+d)
	defer stop()
	time.Sleep(warmup)
	count := func(name string, labels map[string]string) float64 {
		n, err := c.metric(name, labels)
		if err != nil {
			c.t.Fatal(err)
		}
		return n
	}
	receiver := map[string]string{"receiver": "otlp"}
	// Stored: spans the debug exporter logged, or rows the duckdb exporter wrote (a span
	// that is not a GenAI call, or a duplicate, is sent on but not stored).
	storedName, storedLabels := "otelcol_exporter_sent_spans", map[string]string{"exporter": exporter}
	if exporter == "duckdb" {
		storedName, storedLabels = "otelcol_exporter_duckdb_spans", map[string]string{"outcome": "written"}
	}
	type sample struct {
		accepted, refused, stored float64
		cpu, load                 time.Duration
		machine                   machineTicks
		at                        time.Time
	}
	take := func() sample {
		return sample{
			accepted: count("otelcol_receiver_accepted_spans", receiver),
			refused:  count("otelcol_receiver_refused_spans", receiver),
			stored:   count(storedName, storedLabels),
			cpu:      cpuTime(c.t, c.proc.PID()), load: loadCPU(), machine: machineCPU(c.t), at: time.Now(),
		}
	}
	s0 := take()
	time.Sleep(d)
	s1 := take()
	peak, err := procStatus(c.proc.PID(), "VmHWM")
	if err != nil {
		c.t.Fatal(err)
	}
	secs := s1.at.Sub(s0.at).Seconds()
	accepted, refused := s1.accepted-s0.accepted, s1.refused-s0.refused
	run := throughput{accepted: accepted / secs, stored: (s1.stored - s0.stored) / secs, refused: int64(refused), peakRSS: peak}
	if accepted > 0 {
		run.cpuPerSpan = (s1.cpu - s0.cpu) / time.Duration(accepted)
	}
	if offered := accepted + refused; offered > 0 {
		run.loadPerSpan = (s1.load - s0.load) / time.Duration(offered)
	}
	if total := s1.machine.total - s0.machine.total; total > 0 {
		run.busy = 1 - float64(s1.machine.idle-s0.machine.idle)/float64(total)
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

// machineTicks is the machine's CPU time so far, in USER_HZ ticks: all of it, and idle.
type machineTicks struct{ total, idle int64 }

// machineCPU reads the machine's CPU time from the first line of /proc/stat.
func machineCPU(t *testing.T) machineTicks {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		t.Fatalf("/proc/stat: first line %q", line)
	}
	var m machineTicks
	// user nice system idle iowait irq softirq steal; guest time is counted in user.
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("/proc/stat: field %d %q", i+1, f)
		}
		m.total += n
		if i == 3 || i == 4 { // idle and iowait
			m.idle += n
		}
	}
	return m
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
