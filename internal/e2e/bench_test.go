package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"

	"github.com/aiusage/aiusage/internal/collectorbin"
	"github.com/aiusage/aiusage/internal/demo"
	"github.com/aiusage/aiusage/internal/otlpload"
)

// BenchmarkCollectorLoad offers the built collector a steady stream of GenAI spans over
// OTLP/gRPC (AIUSAGE_BENCH_RATE spans/s, default 5000, for AIUSAGE_BENCH_DURATION,
// default 1m) and reports spans/s accepted and stored in DuckDB, spans dropped, peak
// collector RSS and collector CPU per span. The baseline, in the same run, is the same
// stream for a third of the time into the same binary with the debug exporter in place
// of duckdb and prometheus: cpu-ratio is what storing costs over receiving and batching.
//
// It runs once whatever b.N is: the stream's length is the measurement.
func BenchmarkCollectorLoad(b *testing.B) {
	rate := envInt(b, "AIUSAGE_BENCH_RATE", 5000)
	dur := envDuration(b, "AIUSAGE_BENCH_DURATION", time.Minute)

	base := runLoad(b, baselineConfig(b), rate, dur/3, false)
	full := runLoad(b, configPath("config.yaml"), rate, dur, true)

	b.ReportMetric(full.offered/full.sendSeconds, "offered-spans/s")
	b.ReportMetric(full.accepted/full.sendSeconds, "accepted-spans/s")
	b.ReportMetric(full.stored/full.storeSeconds, "stored-spans/s")
	b.ReportMetric(full.dropped, "dropped-spans")
	b.ReportMetric(float64(full.peakRSS)/(1<<20), "peak-rss-MiB")
	b.ReportMetric(full.cpuPerSpan*1e6, "cpu-µs/span")
	b.ReportMetric(float64(base.peakRSS)/(1<<20), "baseline-peak-rss-MiB")
	b.ReportMetric(base.cpuPerSpan*1e6, "baseline-cpu-µs/span")
	b.ReportMetric(full.cpuPerSpan/base.cpuPerSpan, "cpu-ratio")
	b.Logf("offered %d spans/s for %s: accepted %.0f, refused by the collector %.0f, send errors %.0f, stored %.0f in %.1fs; peak RSS %.0f MiB (baseline %.0f MiB)",
		rate, dur, full.accepted, full.refused, full.dropped, full.stored, full.storeSeconds,
		float64(full.peakRSS)/(1<<20), float64(base.peakRSS)/(1<<20))
}

// baselineConfig is config.yaml's receiver and processors with only the debug exporter.
func baselineConfig(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "baseline.yaml")
	cfg := `extensions:
  health_check:
    endpoint: ${env:AIUSAGE_HEALTH_ENDPOINT}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:AIUSAGE_OTLP_GRPC_ENDPOINT}
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
    spike_limit_mib: 128
  batch:
    send_batch_size: 8192
    timeout: 1s
exporters:
  debug:
    verbosity: basic
service:
  extensions: [health_check]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${env:AIUSAGE_TELEMETRY_PORT}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [debug]
`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// loadResult is what one load run measured.
type loadResult struct {
	offered, accepted, refused float64 // spans
	dropped                    float64 // spans whose batch the sender saw fail
	stored                     float64
	sendSeconds, storeSeconds  float64
	peakRSS                    int64
	cpuPerSpan                 float64 // collector CPU seconds per accepted span
}

func runLoad(b *testing.B, config string, rate int, dur time.Duration, stores bool) loadResult {
	collectorbin.Need(b, collectorBin)
	ctx := context.Background()
	dir := b.TempDir()
	log, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	col, err := demo.StartCollector(ctx, demo.CollectorOptions{Binary: collectorBin, Config: config, Dir: dir, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := col.Stop(stopCtx); err != nil {
			b.Error(err)
		}
	}()
	client := otlptracegrpc.NewClient(otlptracegrpc.WithEndpoint(col.Endpoints.OTLPGRPC), otlptracegrpc.WithInsecure(),
		// A refused batch is a drop: count it rather than retry it.
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer client.Stop(ctx)

	var (
		peakRSS  atomic.Int64
		sentOK   atomic.Int64
		sendErrs atomic.Int64
		sampler  sync.WaitGroup
		senders  sync.WaitGroup
	)
	done := make(chan struct{})
	sampler.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := col.RSS(); err == nil && rss > peakRSS.Load() {
				peakRSS.Store(rss)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})

	// Every 100 ms a tick's worth of spans goes out in batches of up to 512, on two
	// connections' worth of senders, as an app fleet's SDK batch processors would send them.
	// A busy machine delays ticks: offered-spans/s says what was really offered.
	const batch = 512
	perTick := max(rate/10, 1)
	batches := make(chan int, 64)
	for range 2 {
		senders.Go(func() {
			for n := range batches {
				if err := client.UploadTraces(ctx, otlpload.Spans(n, time.Now())); err != nil {
					sendErrs.Add(int64(n))
				} else {
					sentOK.Add(int64(n))
				}
			}
		})
	}
	self := func() map[string]float64 { return selfMetrics(b, "http://"+col.Endpoints.Telemetry+"/metrics") }
	cpuBefore := self()["otelcol_process_cpu_seconds"] // start-up: opening DuckDB, migrations
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	var offered int64
	for time.Since(start) < dur {
		<-tick.C
		for left := perTick; left > 0; left -= batch {
			batches <- min(left, batch)
			offered += int64(min(left, batch))
		}
	}
	tick.Stop()
	close(batches)
	senders.Wait()
	sendSeconds := time.Since(start).Seconds()

	res := loadResult{sendSeconds: sendSeconds, offered: float64(offered)}
	if stores {
		rep := &demo.Reporter{URL: col.Endpoints.ReportsURL()}
		want := sentOK.Load()
		waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := rep.WaitStored(waitCtx, want)
		cancel()
		if err != nil {
			b.Errorf("stored: %v", err)
		}
		res.storeSeconds = time.Since(start).Seconds()
		stored, err := rep.Requests(ctx)
		if err != nil {
			b.Fatal(err)
		}
		res.stored = float64(stored)
	} else {
		// The debug exporter is synchronous: wait until the batch processor emptied.
		poll(b, time.Minute, "baseline drained", func() (bool, error) {
			m := self()
			return m["otelcol_exporter_sent_spans"] >= m["otelcol_receiver_accepted_spans"], nil
		})
	}
	close(done)
	sampler.Wait()
	m := self()
	res.accepted = m["otelcol_receiver_accepted_spans"]
	res.refused = m["otelcol_receiver_refused_spans"]
	res.dropped = float64(sendErrs.Load())
	res.peakRSS = peakRSS.Load()
	if res.accepted > 0 {
		res.cpuPerSpan = (m["otelcol_process_cpu_seconds"] - cpuBefore) / res.accepted
	}
	if int64(res.accepted) != sentOK.Load() {
		b.Errorf("collector accepted %.0f spans, the sender had %d acknowledged", res.accepted, sentOK.Load())
	}
	b.Logf("%s: offered %d, accepted %.0f, refused %.0f, send errors %d", filepath.Base(config), offered, res.accepted, res.refused, sendErrs.Load())
	return res
}

// selfMetrics reads the collector's own metrics, summed over their labels.
func selfMetrics(b *testing.B, url string) map[string]float64 {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				out[name] += m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] += m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[name] += m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a positive duration such as 1m", name, v)
	}
	return d
}
