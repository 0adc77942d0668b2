package fleet

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/demo"
	"github.com/aiusage/aiusage/internal/lake"
	"github.com/aiusage/aiusage/queries"
	"github.com/aiusage/aiusage/queries/queriestest"
)

const (
	gateways = 3
	// days of traffic, ending yesterday; calls a day, through the real SDKs.
	days        = 3
	callsPerDay = 60
)

// dayKey is a UTC day, provider and model (the response model, else the request
// model): what the daily report groups by.
type dayKey struct{ day, provider, model string }

// sdkTotals is what the SDKs handed the app for the calls of a key.
type sdkTotals struct {
	requests, rateLimited, input, output, cached int64
}

// TestFleetArchivesEverySpanOnceIntoOneLake runs an agent collector and three gateway
// collectors, built and configured as they ship, with the agent spreading the app's
// spans over the gateways by round_robin over a DNS name that resolves to all three.
// The app's calls go through the real SDKs (openai-go, genai) and the instrumentation
// to the provider emulator, dated by an injected clock onto the last three UTC days,
// which the gateways then seal and archive into one lake. The reports over the lake
// must equal what the SDKs saw, exactly, and the reports over the union of the
// gateways' DuckDB files; parquet-go and DuckDB's Node client must read the files
// the manifest lists as it lists them.
func TestFleetArchivesEverySpanOnceIntoOneLake(t *testing.T) {
	f := newFleet(t, gateways)
	for _, g := range f.gateways {
		f.start(g)
	}
	agentDir := t.TempDir()
	agentLog, err := os.Create(filepath.Join(agentDir, "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	agent, err := demo.StartCollector(ctx, demo.CollectorOptions{
		Binary: collectorBin, Config: configPath("fleet", "agent.yaml"), Dir: agentDir, Log: agentLog,
		Env: []string{"AIUSAGE_GATEWAYS=" + f.target(), "AIUSAGE_BATCH_TIMEOUT=100ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = agent.Stop(stopCtx)
		agentLog.Close()
		if t.Failed() {
			b, _ := os.ReadFile(agentLog.Name())
			t.Logf("agent log (last 6 KiB):\n%s", tail(b, 6<<10))
		}
	})
	emu, err := demo.StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Stop(context.Background()) })

	// The app: the aiusage instrumentation on the OTel SDK, exporting to the agent with
	// the injected clock, driving the SDKs.
	clock := &appClock{}
	tel, err := appTelemetry(ctx, agent.Endpoints.OTLPGRPC, clock)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := demo.NewInstrumentation(tel, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	driver, err := demo.NewDriver(ctx, inst, nil, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	plan := demo.Plan(days*callsPerDay, 11, instrumentation.Groq, instrumentation.Gemini)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	want := map[dayKey]*sdkTotals{}
	for d := range days {
		// This day's calls happen at noon of a day that has ended.
		day := today.AddDate(0, 0, d-days)
		clock.set(time.Since(day.Add(12 * time.Hour)))
		for _, o := range driver.Run(ctx, plan[d*callsPerDay:(d+1)*callsPerDay], 4, nil) {
			model := o.Call.Model
			if o.ResponseModel != "" {
				model = o.ResponseModel
			}
			k := dayKey{day.Format(time.DateOnly), string(o.Call.Provider), model}
			if want[k] == nil {
				want[k] = &sdkTotals{}
			}
			w := want[k]
			w.requests++
			if o.Status == http.StatusTooManyRequests {
				w.rateLimited++
			}
			w.input += o.InputTokens
			w.output += o.OutputTokens
			w.cached += o.CachedInputTokens
		}
		// Everything of the day leaves the app before the clock moves on.
		if err := tel.Tracer.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tel.Meter.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	calls := driver.Attempts()
	if calls != days*callsPerDay {
		t.Fatalf("%d HTTP attempts for %d calls; the SDKs were told not to retry", calls, days*callsPerDay)
	}
	f.waitStored(calls, 2*time.Minute)
	f.waitArchived(calls, 2*time.Minute)
	perGateway := map[string]int64{}
	for _, g := range f.gateways {
		n, err := (&demo.Reporter{URL: g.proc.Endpoints.ReportsURL()}).Requests(ctx)
		if err != nil {
			t.Fatal(err)
		}
		perGateway[g.id] = n
		if n == 0 {
			t.Errorf("%s got no spans: the agent did not spread over every gateway", g.id)
		}
	}
	t.Logf("%d calls over %d days through %d gateways: %v; the agent resolved %s %d times",
		calls, days, gateways, perGateway, gatewayName, f.dns.queries.Load())
	for _, g := range f.gateways {
		f.stop(g)
	}

	l, err := lake.Open(ctx, f.lake, lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	union := unionDB(t, f.gateways)
	last := today.AddDate(0, 0, -1)

	t.Run("reports over the lake are what the SDKs saw", func(t *testing.T) {
		res := runReport(t, l.DB, "daily", map[string]string{
			"from_day": today.AddDate(0, 0, -days).Format(time.DateOnly), "to_day": last.Format(time.DateOnly)})
		got := map[dayKey]*sdkTotals{}
		col := columns(res)
		for _, r := range res.Rows {
			got[dayKey{r[col["day"]].(string), r[col["provider"]].(string), r[col["model"]].(string)}] = &sdkTotals{
				requests: r[col["requests"]].(int64), rateLimited: r[col["rate_limited"]].(int64),
				input: r[col["input_tokens"]].(int64), output: r[col["output_tokens"]].(int64),
				cached: r[col["cache_read_input_tokens"]].(int64),
			}
		}
		if !reflect.DeepEqual(got, want) {
			for k, w := range want {
				if g := got[k]; g == nil || *g != *w {
					t.Errorf("%v: the lake says %+v, the SDKs saw %+v", k, g, *w)
				}
			}
			for k, g := range got {
				if want[k] == nil {
					t.Errorf("%v: the lake says %+v, the SDKs saw nothing", k, *g)
				}
			}
		}
		var limited int64
		for _, w := range want {
			limited += w.rateLimited
		}
		t.Logf("%d day x provider x model groups, %d calls rate-limited by the emulator", len(want), limited)
	})

	t.Run("reports over the lake are those over the gateways' files", func(t *testing.T) {
		end := last.Add(24*time.Hour - time.Second).Format(time.RFC3339)
		for _, c := range []struct {
			name string
			args map[string]string
		}{
			{"daily", map[string]string{"from_day": today.AddDate(0, 0, -days).Format(time.DateOnly), "to_day": last.Format(time.DateOnly)}},
			{"users", map[string]string{"days": "7", "to_day": last.Format(time.DateOnly)}},
			{"projects", map[string]string{"from_day": today.AddDate(0, 0, -days).Format(time.DateOnly), "to_day": last.Format(time.DateOnly)}},
			{"cost", map[string]string{"as_of": last.Format(time.DateOnly)}},
			{"quota", map[string]string{"as_of": end}},
			{"rate_limited", map[string]string{"as_of": end, "hours": "72"}},
			{"rates", map[string]string{"as_of": last.Add(12*time.Hour + 5*time.Minute).Format(time.RFC3339)}},
			{"prices", map[string]string{"in_force_on": last.Format(time.DateOnly)}},
		} {
			over := runReport(t, l.DB, c.name, c.args)
			files := runReport(t, union, c.name, c.args)
			if !queriestest.SameRows(over.Rows, files.Rows) {
				t.Errorf("%s %v over the lake:\n%v\nover the gateways' files:\n%v", c.name, c.args, over.Rows, files.Rows)
			}
			if len(files.Rows) == 0 {
				t.Errorf("%s %v: no rows; the comparison proves nothing", c.name, c.args)
			}
		}
	})

	t.Run("each span is on one gateway and once in the lake", func(t *testing.T) {
		onGateways := countSpans(t, union, `SELECT trace_id || '/' || span_id FROM ai_usage_log`)
		inLake := countSpans(t, l.DB, `SELECT trace_id || '/' || span_id FROM ai_usage_log`)
		for id, n := range onGateways {
			if n != 1 {
				t.Errorf("span %s is on %d gateways", id, n)
			}
		}
		if int64(len(onGateways)) != calls || !reflect.DeepEqual(onGateways, inLake) {
			t.Errorf("%d spans on the gateways, %d in the lake; want %d in both", len(onGateways), len(inLake), calls)
		}
		for _, tb := range lake.Tables {
			if !tb.Daily() {
				continue
			}
			files := countRows(t, union, tb.Name)
			over := countRows(t, l.DB, tb.Name)
			if tb.Name != lake.Daily && files != over {
				t.Errorf("%s: %d rows on the gateways, %d in the lake", tb.Name, files, over)
			}
			t.Logf("%-32s %6d rows on the gateways, %6d in the lake", tb.Name, files, over)
		}
	})

	t.Run("parquet-go reads what the manifest lists", func(t *testing.T) {
		spans, input, output := checkWithParquetGo(t, f.lake, l.Live(), union)
		var wantIn, wantOut int64
		for _, w := range want {
			wantIn, wantOut = wantIn+w.input, wantOut+w.output
		}
		if int64(len(spans)) != calls || input != wantIn || output != wantOut {
			t.Errorf("parquet-go decoded %d spans, %d input and %d output tokens; the SDKs saw %d calls, %d and %d",
				len(spans), input, output, calls, wantIn, wantOut)
		}
		for id, n := range spans {
			if n != 1 {
				t.Errorf("span %s is in %d files", id, n)
			}
		}
		t.Logf("parquet-go: %d files, %d spans decoded", len(l.Live()), len(spans))
	})

	t.Run("DuckDB's Node client reads what the manifest lists", func(t *testing.T) { checkWithNode(t, f.lake) })

	t.Run("the manifest holds", func(t *testing.T) {
		v, err := lake.Verify(ctx, l.DB, f.lake, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Problems) != 0 {
			t.Errorf("lake verify: %+v", v.Problems)
		}
		t.Logf("lake: %d files, %d rows, %d bytes", v.Files, v.Rows, v.Bytes)
	})
}

// appTelemetry is the app's OTel SDK exporting to the agent over OTLP/gRPC, dated by
// clock.
func appTelemetry(ctx context.Context, endpoint string, clock *appClock) (*demo.Telemetry, error) {
	res, err := resource.New(ctx, resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName.String("fleet-app")))
	if err != nil {
		return nil, err
	}
	spans, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	points, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	return &demo.Telemetry{
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithResource(res),
			sdktrace.WithBatcher(spanExporter{SpanExporter: spans, clock: clock})),
		Meter: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExporter{Exporter: points, clock: clock},
				sdkmetric.WithInterval(time.Hour)))),
	}, nil
}

func runReport(t *testing.T, db *sql.DB, name string, args map[string]string) *queries.Result {
	t.Helper()
	rep, err := queries.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rep.Run(context.Background(), db, args)
	if err != nil {
		t.Fatalf("report %s: %v", name, err)
	}
	return res
}

func columns(res *queries.Result) map[string]int {
	out := map[string]int{}
	for i, c := range res.Columns {
		out[c.Name] = i
	}
	return out
}

func countSpans(t *testing.T, db *sql.DB, q string) map[string]int {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id]++
	}
	return out
}

func countRows(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ` + lake.Ident(table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
