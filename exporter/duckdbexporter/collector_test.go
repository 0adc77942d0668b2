package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// childCollectorEnv makes the test binary run as a collector (otlp receiver, this
// exporter, file_storage) with the configuration file it names: the crash and lock
// tests need a collector in another process that they can kill.
const childCollectorEnv = "AIUSAGE_DUCKDB_TEST_COLLECTOR_CONFIG"

// dieAfterCommitsEnv makes the child collector SIGKILL itself right after its Nth
// committed batch, before the queue hears of the commit: the worst moment to crash.
const dieAfterCommitsEnv = "AIUSAGE_DUCKDB_TEST_DIE_AFTER_COMMITS"

func TestMain(m *testing.M) {
	if path := os.Getenv(childCollectorEnv); path != "" {
		if n, err := strconv.Atoi(os.Getenv(dieAfterCommitsEnv)); err == nil {
			commits := 0
			afterCommit = func() {
				if commits++; commits == n {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
		if err := runCollector(context.Background(), path, nil); err != nil {
			fmt.Fprintln(os.Stderr, "collector:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCollector runs a collector with the configuration at path until it is shut down
// (a signal, or a call of the function handed to started).
func runCollector(ctx context.Context, path string, started func(shutdown func())) error {
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.NewDefaultBuildInfo(),
		Factories: func() (otelcol.Factories, error) {
			var f otelcol.Factories
			var err error
			f.Telemetry = otelconftelemetry.NewFactory()
			if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
				return f, err
			}
			if f.Exporters, err = otelcol.MakeFactoryMap(NewFactory()); err != nil {
				return f, err
			}
			f.Extensions, err = otelcol.MakeFactoryMap(filestorage.NewFactory())
			return f, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"file:" + path},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
		}},
		DisableGracefulShutdown: started != nil,
		// In this process the test's gRPC clients already run; the collector replacing
		// gRPC's global logger under them would be a data race.
		SkipSettingGRPCLogger: started != nil,
	})
	if err != nil {
		return err
	}
	if started != nil {
		go func() {
			for col.GetState() != otelcol.StateRunning {
				if col.GetState() == otelcol.StateClosed {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			started(col.Shutdown)
		}()
	}
	return col.Run(ctx)
}

// collectorSetup is a collector configuration on fresh ports and files.
type collectorSetup struct {
	dir, config, db, otlp string
}

func newCollectorSetup(t testing.TB, persistent bool) collectorSetup {
	t.Helper()
	dir := t.TempDir()
	s := collectorSetup{dir: dir, config: filepath.Join(dir, "config.yaml"), db: filepath.Join(dir, "usage.duckdb"),
		otlp: freeAddr(t)}
	queue := "    sending_queue:\n      batch:\n        flush_timeout: 50ms\n"
	extensions := ""
	if persistent {
		if err := os.Mkdir(filepath.Join(dir, "queue"), 0o755); err != nil {
			t.Fatal(err)
		}
		queue = "    sending_queue:\n      storage: file_storage\n      batch:\n        flush_timeout: 50ms\n"
		extensions = fmt.Sprintf("extensions:\n  file_storage:\n    directory: %s\n", filepath.Join(dir, "queue"))
	}
	service := "service:\n"
	if persistent {
		service += "  extensions: [file_storage]\n"
	}
	cfg := extensions + fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  duckdb:
    path: %s
    memory_limit: 256MB
    threads: 1
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
%s`, s.otlp, s.db, queue) + service + `  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [duckdb]
    metrics:
      receivers: [otlp]
      exporters: [duckdb]
`
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startInProcess runs the collector of s in this process until the test ends, and
// returns the running exporter (to read the database through its handle) and a stop
// function.
func startInProcess(t testing.TB, s collectorSetup) (*duckdbExporter, func()) {
	t.Helper()
	ready := make(chan func(), 1)
	done := make(chan error, 1)
	go func() { done <- runCollector(context.Background(), s.config, func(stop func()) { ready <- stop }) }()
	var stop func()
	select {
	case stop = <-ready:
	case err := <-done:
		t.Fatalf("collector: %v", err)
	}
	var once sync.Once
	stopAndWait := func() {
		once.Do(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("collector: %v", err)
			}
		})
	}
	t.Cleanup(stopAndWait)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for _, e := range instances {
		return e, stopAndWait
	}
	t.Fatal("no duckdb exporter running")
	return nil, nil
}

// genAIAttrs are the attributes the instrumentation puts on a Groq call.
func genAIAttrs(i int) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.GenAIProviderName.String(semconv.ProviderGroq),
		semconv.GenAIOperationName.String(semconv.OperationChat),
		semconv.GenAIRequestModel.String("llama-3.1-8b-instant"),
		semconv.GenAIUsageInputTokens.Int(100 + i),
		semconv.GenAIUsageOutputTokens.Int(20),
		semconv.UserID.String(fmt.Sprintf("user-%d", i%4)),
		semconv.CostStatus.String(semconv.CostUnpriced),
	}
}

// TestCollectorPipeline sends spans and metrics with the OTel SDK's OTLP exporters to
// a collector (otlp receiver -> duckdb exporter) and finds them in the file.
func TestCollectorPipeline(t *testing.T) {
	s := newCollectorSetup(t, false)
	_, stop := startInProcess(t, s)
	ctx := context.Background()
	res := resource.NewSchemaless(semconv.ServiceName.String("pipeline-test"))

	texp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.otlp), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithResource(res))
	tracer := tp.Tracer("test")
	var ids []string
	for i := range 100 {
		_, span := tracer.Start(ctx, "chat llama-3.1-8b-instant", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(genAIAttrs(i)...))
		ids = append(ids, span.SpanContext().SpanID().String())
		span.End()
	}
	_, other := tracer.Start(ctx, "GET /health") // not a GenAI span: skipped
	other.End()

	mexp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(s.otlp), otlpmetricgrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp)), sdkmetric.WithResource(res))
	hist, err := mp.Meter("test").Int64Histogram(semconv.MetricTokenUsage, metric.WithUnit(semconv.UnitToken))
	if err != nil {
		t.Fatal(err)
	}
	hist.Record(ctx, 120, metric.WithAttributes(semconv.GenAIProviderName.String(semconv.ProviderGroq),
		semconv.GenAITokenType.String(semconv.TokenTypeInput)))

	// Shutdown flushes: every export is acknowledged by the receiver when it returns.
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("trace provider: %v", err)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatalf("meter provider: %v", err)
	}
	stop() // drains the in-memory sending queue into the file

	db := openFile(t, s.db)
	if n := queryInt(t, db, "SELECT count(*) FROM ai_usage_log WHERE service_name = 'pipeline-test'"); n != 100 {
		t.Errorf("%d spans stored, want 100", n)
	}
	got := queryStrings(t, db, "SELECT span_id FROM ai_usage_log ORDER BY span_id")
	want := append([]string(nil), ids...)
	sortStrings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("stored span ids differ from the ones sent")
	}
	if n := queryInt(t, db, "SELECT sum(input_tokens) FROM ai_usage_log"); n != 100*100+99*100/2 {
		t.Errorf("input tokens %d", n)
	}
	if n := queryInt(t, db, "SELECT sum(requests) FROM ai_usage_daily"); n != 100 {
		t.Errorf("daily roll-up counts %d requests, want 100", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM ai_metric_histogram WHERE metric_name = ? AND sum = 120", semconv.MetricTokenUsage); n != 1 {
		t.Errorf("token usage histogram points: %d, want 1", n)
	}
}

// TestCrashWithPersistentQueue kills a collector (SIGKILL) while spans are being sent,
// restarts it on the same file and queue, and checks that every span the receiver
// acknowledged is stored exactly once.
func TestCrashWithPersistentQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts collector processes")
	}
	s := newCollectorSetup(t, true)
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.otlp), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}), otlptracegrpc.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)

	var (
		acked      []string // span ids of exports the receiver acknowledged
		next       int
		crashEpoch = time.Now().Truncate(time.Second)
	)
	const batch = 200
	// send exports one batch of spans and records their ids when acknowledged.
	send := func() error {
		stubs := make(tracetest.SpanStubs, batch)
		var ids []string
		for i := range stubs {
			n := next
			next++
			sc := trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{0xcc, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)},
				SpanID:  trace.SpanID{0xdd, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 1},
			})
			// The start time follows from n, so a span sent again is the same span.
			start := crashEpoch.Add(time.Duration(n) * time.Millisecond)
			stubs[i] = tracetest.SpanStub{Name: "chat", SpanContext: sc, SpanKind: trace.SpanKindClient,
				StartTime: start, EndTime: start.Add(time.Millisecond), Attributes: genAIAttrs(n),
				Resource: resource.NewSchemaless(semconv.ServiceName.String("crash-test"))}
			ids = append(ids, sc.SpanID().String())
		}
		if err := exp.ExportSpans(ctx, stubs.Snapshots()); err != nil {
			return err
		}
		acked = append(acked, ids...)
		return nil
	}

	// First life: a child process that is killed mid-load, right after a commit.
	child := startChild(t, s, dieAfterCommitsEnv+"=5")
	waitListening(t, s.otlp)
	for {
		if err := send(); err != nil {
			break // the collector died; this export may or may not have been persisted
		}
	}
	if err := child.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first collector: %v, want killed", err)
	}

	// Second life, in this process: the queue replays into the same file; more load.
	e, stop := startInProcess(t, s)
	waitListening(t, s.otlp)
	for range 10 {
		// The client may still hold the dead collector's connection error for a moment:
		// send again, as an SDK would. A resend that did arrive is one more duplicate
		// delivery for the exporter to drop.
		var err error
		for try := 0; try < 50; try++ {
			if err = send(); err == nil {
				break
			}
			next -= batch // the same spans again
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("send to the restarted collector: %v", err)
		}
	}
	waitStored(t, e, acked)
	stop()

	db := openFile(t, s.db)
	if n := queryInt(t, db, "SELECT count(*) FROM (SELECT span_id FROM ai_usage_log GROUP BY span_id HAVING count(*) > 1)"); n != 0 {
		t.Errorf("%d spans stored more than once", n)
	}
	stored := queryInt(t, db, "SELECT count(*) FROM ai_usage_log")
	if stored < int64(len(acked)) || stored > int64(next) {
		t.Errorf("%d spans stored; %d were acknowledged and %d sent", stored, len(acked), next)
	}
	if missing := missingSpans(t, db, acked); missing != 0 {
		t.Errorf("%d acknowledged spans are missing", missing)
	}
	if n := queryInt(t, db, "SELECT sum(requests) FROM ai_usage_daily"); n != stored {
		t.Errorf("daily roll-up counts %d requests, the log holds %d", n, stored)
	}
	t.Logf("sent %d spans, %d acknowledged, %d stored", next, len(acked), stored)
}

// TestLockedFileFailsStart holds the file in a collector process and starts an
// exporter on it here: Start must fail, saying the file is locked and where.
func TestLockedFileFailsStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a collector process")
	}
	s := newCollectorSetup(t, false)
	child := startChild(t, s)
	waitListening(t, s.otlp)
	cfg := testConfig(t)
	cfg.Path = s.db
	e := newExporter(cfg, exportertestSettings(), func() {})
	err := e.start(context.Background(), nil)
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	if err == nil {
		e.shutdown(context.Background())
		t.Fatal("start succeeded on a file another process holds")
	}
	for _, want := range []string{s.db, "locked by another process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func startChild(t *testing.T, s collectorSetup, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childCollectorEnv+"="+s.config), env...)
	logFile, err := os.Create(filepath.Join(s.dir, "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("child collector log:\n%s", b)
		}
	})
	return cmd
}

// waitListening waits until the collector's receiver accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector never listened on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStored waits until every span of ids is in the exporter's file.
func waitStored(t *testing.T, e *duckdbExporter, ids []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		e.mu.Lock()
		db := e.db
		e.mu.Unlock()
		if db != nil && missingSpans(t, db, ids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged spans still missing after the queue had two minutes to drain")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func missingSpans(t *testing.T, db *sql.DB, ids []string) int64 {
	t.Helper()
	return queryInt(t, db, `SELECT count(*) FROM unnest(string_split(?, ',')) AS a(id)
WHERE id NOT IN (SELECT span_id FROM ai_usage_log)`, strings.Join(ids, ","))
}

// openFile opens a database file no exporter holds any more.
func openFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(errors.Join(fmt.Errorf("open %s", path), err))
	}
	return db
}
