package console_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/aiusage/aiusage/exporter/duckdbexporter"
	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/internal/demo"
	"github.com/aiusage/aiusage/queries"
)

// testCollector is a collector in this process: the OTLP receiver and the duckdb
// exporter with its report endpoint, on fresh ports and a fresh file.
type testCollector struct {
	// URL is the report endpoint's base URL; Token its bearer token.
	URL, Token string
	otlp       string
	db         string
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

const collectorConfig = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %[1]s
exporters:
  duckdb:
    path: %[2]s
    memory_limit: 256MB
    sending_queue:
      batch:
        flush_timeout: 200ms
    reports:
      endpoint: %[3]s
      bearer_token: %[4]s
      cors_allowed_origins: [%[5]s]
%[6]sservice:
  telemetry:
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

// startCollector runs a collector until the test ends; its report endpoint lets pages
// of origins read the reports. An existing db file is served as it is; reports holds
// more settings of the report endpoint (YAML lines, indented to sit under reports:).
func startCollector(t testing.TB, db, reports string, origins ...string) *testCollector {
	t.Helper()
	dir := t.TempDir()
	if db == "" {
		db = filepath.Join(dir, "usage.duckdb")
	}
	c := &testCollector{otlp: freeAddr(t), db: db, Token: "console-test-token-0123"}
	endpoint := freeAddr(t)
	c.URL = "http://" + endpoint
	path := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(collectorConfig, c.otlp, db, endpoint, c.Token, strings.Join(origins, ", "), reports)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.NewDefaultBuildInfo(),
		Factories: func() (otelcol.Factories, error) {
			var f otelcol.Factories
			var err error
			f.Telemetry = otelconftelemetry.NewFactory()
			if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
				return f, err
			}
			f.Exporters, err = otelcol.MakeFactoryMap(duckdbexporter.NewFactory())
			return f, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"file:" + path},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
		}},
		DisableGracefulShutdown: true,
		SkipSettingGRPCLogger:   true,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- col.Run(context.Background()) }()
	t.Cleanup(func() {
		col.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("collector: %v", err)
		}
	})
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(c.URL + "/console/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		select {
		case err := <-done:
			t.Fatalf("collector stopped at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector's report endpoint not up after a minute: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client reads the collector's reports as `aiusage report --server` does.
func (c *testCollector) client() *queries.Client {
	return &queries.Client{BaseURL: c.URL, Token: c.Token}
}

// historyDays is how many days before today the fed data reaches back.
const historyDays = 13

// feed sends the collector known traffic through the real pipeline: the
// instrumentation under the real SDKs against the emulated providers (today's calls,
// with Groq's quota headers and Gemini's counted quota, some rate-limited), and
// recorded calls on the days before, as an app's OpenTelemetry SDK exports them. It
// returns when the collector has stored every call.
func (c *testCollector) feed(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emu, err := demo.StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop(context.Background())
	tel, err := demo.NewTelemetry(ctx, c.otlp, demo.ServiceName, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := demo.NewInstrumentation(tel, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	recorded := recordHistory(ctx, inst, time.Now().UTC())
	driver, err := demo.NewDriver(ctx, inst, nil, emu.URLs)
	if err != nil {
		t.Fatal(err)
	}
	driver.Run(ctx, demo.Plan(160, 14, instrumentation.Groq, instrumentation.Gemini), 4, nil)
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.waitStored(t, int64(recorded)+driver.Attempts())
}

// recordHistory records calls on each of the historyDays days before now, fewer on
// older days, through the instrumentation's Record API; it returns how many.
func recordHistory(ctx context.Context, inst *instrumentation.Instrumentation, now time.Time) int {
	users := []string{"ana", "ben", "chloe", "dmitri", "emeka", "fatima"}
	projects := []string{"home-assistant", "car-assistant"}
	models := []struct {
		p     instrumentation.Provider
		model string
	}{
		{instrumentation.Groq, demo.GroqIntentModel},
		{instrumentation.Groq, demo.GroqReplyModel},
		{instrumentation.Gemini, demo.GeminiIntentModel},
		{instrumentation.Groq, demo.UnpricedModel},
	}
	today := now.Truncate(24 * time.Hour)
	n := 0
	for d := historyDays; d >= 1; d-- {
		day := today.AddDate(0, 0, -d)
		for i := range 6 + (historyDays-d)*2 {
			m := models[(i+d)%len(models)]
			attr := instrumentation.Attribution{UserID: users[(i*5+d)%len(users)], ProjectID: projects[(i+d)%len(projects)], Action: "reply"}
			start := day.Add(time.Duration(8*60+i*17) * time.Minute)
			in, out := int64(300+37*i+11*d), int64(60+13*i)
			inst.Record(instrumentation.WithAttribution(ctx, attr), instrumentation.Call{
				Provider: m.p, RequestModel: m.model, ResponseModel: m.model, StatusCode: 200,
				Start: start, End: start.Add(800 * time.Millisecond),
				Usage: &instrumentation.Usage{InputTokens: in, OutputTokens: out},
			})
			n++
		}
	}
	return n
}

// waitStored waits until the users report counts want calls over the whole history.
func (c *testCollector) waitStored(t testing.TB, want int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var got int64
	for time.Now().Before(deadline) {
		res, err := c.client().Run(context.Background(), "users", map[string]string{"days": fmt.Sprint(historyDays + 2)})
		if err == nil {
			got = 0
			for _, r := range objects(res) {
				got += asInt(r["requests"])
			}
			if got >= want {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the collector stored %d of %d calls after a minute", got, want)
}

// objects is a result's rows keyed by column name.
func objects(res *queries.Result) []map[string]any {
	var out []map[string]any
	for _, row := range res.Rows {
		o := map[string]any{}
		for i, c := range res.Columns {
			o[c.Name] = row[i]
		}
		out = append(out, o)
	}
	return out
}

// asInt and asFloat read a JSON number as the client decodes it.
func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
