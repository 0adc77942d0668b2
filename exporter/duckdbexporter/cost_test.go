package duckdbexporter

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// costCall is one call of the price-parity test: each has a user of its own, so the
// reports filtered by that user give the figure for that call alone.
type costCall struct {
	name      string
	provider  instrumentation.Provider
	model     string
	reqTier   string
	respTier  string
	usage     *usage.Usage
	errorType string
}

// costCalls bill every unit, tier and modality the price table knows, and the ways a
// call is partly or not priced.
var costCalls = []costCall{
	{name: "groq cached text", provider: instrumentation.Groq, model: "openai/gpt-oss-20b",
		usage: &usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500, ReasoningOutputTokens: 100}},
	{name: "gemini implicit cache", provider: instrumentation.Gemini, model: "gemini-2.5-flash",
		usage: &usage.Usage{InputTokens: 10_000, CacheReadInputTokens: 8000, OutputTokens: 500, ReasoningOutputTokens: 300}},
	{name: "audio in, cached audio", provider: instrumentation.Gemini, model: "gemini-2.5-flash",
		usage: &usage.Usage{InputTokens: 3000, CacheReadInputTokens: 1000, AudioInputTokens: 2000, AudioCacheReadInputTokens: 500,
			OutputTokens: 300, ReasoningOutputTokens: 200}},
	{name: "image, video and document input, image cached", provider: instrumentation.Gemini, model: "gemini-2.5-flash",
		usage: &usage.Usage{InputTokens: 5000, CacheReadInputTokens: 600, ImageInputTokens: 1000, ImageCacheReadInputTokens: 400,
			VideoInputTokens: 1500, VideoCacheReadInputTokens: 100, DocumentInputTokens: 800, DocumentCacheReadInputTokens: 50, OutputTokens: 100}},
	{name: "prompt over 200K tokens", provider: instrumentation.Gemini, model: "gemini-2.5-pro",
		usage: &usage.Usage{InputTokens: 250_000, CacheReadInputTokens: 50_000, OutputTokens: 2000}},
	{name: "prompt of exactly 200K tokens", provider: instrumentation.Gemini, model: "gemini-2.5-pro",
		usage: &usage.Usage{InputTokens: 200_000, OutputTokens: 1000}},
	{name: "flex served", provider: instrumentation.Gemini, model: "gemini-3.5-flash", reqTier: "flex", respTier: "flex",
		usage: &usage.Usage{InputTokens: 1000, OutputTokens: 100}},
	{name: "batch requested", provider: instrumentation.Groq, model: "openai/gpt-oss-20b", reqTier: "batch",
		usage: &usage.Usage{InputTokens: 1000, CacheReadInputTokens: 256, OutputTokens: 500}},
	{name: "priority served", provider: instrumentation.Gemini, model: "gemini-3.7-flash", reqTier: "priority", respTier: "priority",
		usage: &usage.Usage{InputTokens: 1000, OutputTokens: 100}},
	{name: "priority without rows: standard", provider: instrumentation.Gemini, model: "gemini-2.5-flash", respTier: "priority",
		usage: &usage.Usage{InputTokens: 1000, OutputTokens: 100}},
	{name: "a 3-second transcription at the 10 s minimum", provider: instrumentation.Groq, model: "whisper-large-v3",
		usage: &usage.Usage{InputTokens: 0, AudioSeconds: 3}},
	{name: "a long transcription", provider: instrumentation.Groq, model: "whisper-large-v3-turbo",
		usage: &usage.Usage{AudioSeconds: 95.5}},
	{name: "text to speech by characters", provider: instrumentation.Groq, model: "canopylabs/orpheus-v1-english",
		usage: &usage.Usage{InputCharacters: 1200}},
	{name: "gemini text to speech", provider: instrumentation.Gemini, model: "gemini-2.5-flash-preview-tts",
		usage: &usage.Usage{InputTokens: 50, OutputTokens: 900, AudioOutputTokens: 900}},
	{name: "image output", provider: instrumentation.Gemini, model: "gemini-2.5-flash-image",
		usage: &usage.Usage{InputTokens: 20, OutputTokens: 1390, ImageOutputTokens: 1290}},
	{name: "video output", provider: instrumentation.Gemini, model: "gemini-omni-flash-preview",
		usage: &usage.Usage{InputTokens: 10, OutputTokens: 5000, VideoOutputTokens: 5000}},
	{name: "live audio and video", provider: instrumentation.Gemini, model: "gemini-2.5-flash-native-audio-preview-09-2025",
		usage: &usage.Usage{InputTokens: 3100, AudioInputTokens: 2000, VideoInputTokens: 1000, OutputTokens: 1550, AudioOutputTokens: 1500}},
	{name: "embeddings", provider: instrumentation.Gemini, model: "gemini-embedding-001",
		usage: &usage.Usage{InputTokens: 5000}},
	{name: "character-billed embeddings on vertex", provider: "gcp.vertex_ai", model: "text-embedding-005",
		usage: &usage.Usage{InputCharacters: 40_000}},
	{name: "grounding per prompt", provider: instrumentation.Gemini, model: "gemini-2.5-flash",
		usage: &usage.Usage{InputTokens: 100, OutputTokens: 10, WebSearchQueries: 3}},
	{name: "grounding per query", provider: instrumentation.Gemini, model: "gemini-3-flash-preview",
		usage: &usage.Usage{InputTokens: 100, OutputTokens: 10, WebSearchQueries: 3}},
	{name: "a pinned version through a glob", provider: instrumentation.Gemini, model: "gemini-2.0-flash-001",
		usage: &usage.Usage{InputTokens: 4000, CacheReadInputTokens: 1000, AudioInputTokens: 500, OutputTokens: 200}},
	{name: "a unit without a rate: partially priced", provider: instrumentation.Groq, model: "llama-3.1-8b-instant",
		usage: &usage.Usage{InputTokens: 1000, OutputTokens: 10, InputCharacters: 500}},
	{name: "unknown model: unpriced", provider: instrumentation.Gemini, model: "gemini-9-ultra",
		usage: &usage.Usage{InputTokens: 10, OutputTokens: 20}},
	{name: "succeeded without usage: unpriced", provider: instrumentation.Groq, model: "llama-3.1-8b-instant"},
	{name: "rate limited without usage: not billed", provider: instrumentation.Groq, model: "llama-3.1-8b-instant", errorType: "429"},
}

// TestSpanCostEqualsReportCost is the price-parity promise: calls recorded through the
// instrumentation, landed through the collector's otlp receiver and this exporter, cost
// in the cost, users and cost_units reports exactly what their spans say, unit by unit;
// they still do from the daily roll-up once retention has deleted the raw rows; and a
// corrected price table reprices them in the reports while the spans' costs stay.
func TestSpanCostEqualsReportCost(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a collector")
	}
	ctx := context.Background()
	s := newCollectorSetup(t, false)
	_, stop := startInProcess(t, s)

	texp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.otlp), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp), sdktrace.WithSyncer(spans),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName.String("cost-parity"))))
	inst, err := instrumentation.New(instrumentation.WithTracerProvider(tp), instrumentation.WithMeterProvider(noop.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	for i, c := range costCalls {
		call := instrumentation.Call{Provider: c.provider, RequestModel: c.model, ResponseModel: c.model,
			RequestServiceTier: c.reqTier, ResponseServiceTier: c.respTier, Usage: c.usage, ErrorType: c.errorType,
			StatusCode: 200, Start: start.Add(time.Duration(i) * time.Minute)}
		if c.errorType != "" {
			call.StatusCode, call.ResponseModel = 429, ""
		}
		ctx := instrumentation.WithAttribution(ctx, instrumentation.Attribution{UserID: userOf(i), ProjectID: "parity"})
		inst.Record(ctx, call)
	}
	if err := tp.ForceFlush(ctx); err != nil { // every export acknowledged by the receiver
		t.Fatal(err)
	}
	recordedSpans := spans.GetSpans() // Shutdown empties the in-memory exporter
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	stop()

	// What each span recorded.
	type recorded struct {
		usd    float64
		status string
	}
	bySpan := map[string]recorded{}
	for _, sp := range recordedSpans {
		var r recorded
		var user string
		for _, kv := range sp.Attributes {
			switch kv.Key {
			case semconv.CostUSD:
				r.usd = kv.Value.AsFloat64()
			case semconv.CostStatus:
				r.status = kv.Value.AsString()
			case semconv.UserID:
				user = kv.Value.AsString()
			case semconv.GenAIUsageCost:
				if cost, ok := attrValue(sp.Attributes, semconv.CostUSD); !ok || cost.AsFloat64() != kv.Value.AsFloat64() {
					t.Errorf("%s: gen_ai.usage.cost %v differs from aiusage.cost.usd %v", user, kv.Value.AsFloat64(), cost.AsFloat64())
				}
			}
		}
		bySpan[user] = r
	}
	if len(bySpan) != len(costCalls) {
		t.Fatalf("%d spans recorded, want %d", len(bySpan), len(costCalls))
	}

	db := openFile(t, s.db)
	check := func(t *testing.T, phase string, table *pricing.Table, units bool) {
		t.Helper()
		users := runOne(t, db, "users", map[string]string{"days": "60", "to_day": "2026-12-15"})
		userCost := map[any]any{}
		for i := range users.Rows {
			r := rowMap(users, i)
			userCost[r["user_id"]] = r["cost_usd"]
		}
		for i, c := range costCalls {
			user := userOf(i)
			want := bySpan[user]
			if table != nil { // repriced: what the instrumentation would record under table
				want = recorded{}
				if c.usage != nil {
					b := table.Bill(string(c.provider), c.model, firstOf(c.respTier, c.reqTier), c.usage, start)
					want = recorded{b.USD, b.Status}
				} else if c.errorType == "" {
					want.status = semconv.CostUnpriced
				}
			}
			cost := runOne(t, db, "cost", map[string]string{"as_of": "2026-11-30", "user_id": user})
			if len(cost.Rows) != 1 {
				t.Errorf("%s: %s: cost report has %d rows for the call", phase, c.name, len(cost.Rows))
				continue
			}
			row := rowMap(cost, 0)
			gotUSD, _ := row["cost_usd"].(float64)
			wantStatus := want.status
			if wantStatus == "" {
				wantStatus = semconv.CostPriced // not billed: a cost of 0 at the model's rates
			}
			if row["status"] != wantStatus || !sameUSD(gotUSD, want.usd) || (want.status == semconv.CostUnpriced) != (row["cost_usd"] == nil) {
				t.Errorf("%s: %s: report says %v $%v, the span $%v %s", phase, c.name, row["status"], row["cost_usd"], want.usd, want.status)
			}
			if u, _ := userCost[user].(float64); !sameUSD(u, want.usd) {
				t.Errorf("%s: %s: users report $%v, the span $%v", phase, c.name, userCost[user], want.usd)
			}
			if !units {
				continue
			}
			// The units add up to the call's cost.
			var sum float64
			for _, r := range runOne(t, db, "cost_units", map[string]string{"from_day": "2026-11-01", "to_day": "2026-11-30", "user_id": user}).Rows {
				if v, ok := r[7].(float64); ok {
					sum += v
				}
			}
			if !sameUSD(sum, want.usd) {
				t.Errorf("%s: %s: cost_units add up to $%v, the span $%v", phase, c.name, sum, want.usd)
			}
		}
	}
	check(t, "raw rows", nil, true)

	// The span's billed seconds: the minimum, not the 3 s measured.
	if got := queryStrings(t, db, "SELECT audio_seconds || ' ' || audio_billed_seconds FROM ai_usage_log WHERE user_id = ?", userOf(10)); len(got) != 1 || got[0] != "3.0 10.0" {
		t.Errorf("whisper call stored %v, want measured 3.0 billed 10.0", got)
	}

	// Retention deletes the raw rows; the roll-up alone reprices the same.
	if got := runOne(t, db, "retention", map[string]string{"as_of": "2026-12-15", "days": "30"}); got.Rows[0][2] != int64(len(costCalls)) {
		t.Fatalf("retention deleted %v rows, want %d", got.Rows[0][2], len(costCalls))
	}
	check(t, "roll-up only", nil, false)

	// A corrected table reprices past days in the reports; the spans keep their cost.
	corrected := correctedTable(t)
	if err := schema.ReplacePrices(ctx, db, corrected.Prices(), schema.Origin{Kind: schema.OriginFile, Name: "corrected.csv"}); err != nil {
		t.Fatal(err)
	}
	check(t, "corrected table", corrected, false)
	if n := queryInt(t, db, "SELECT round(sum(cost_usd) * 1e9)::BIGINT FROM ai_usage_daily"); n == 0 {
		t.Error("the roll-up lost the recorded costs")
	}
}

// correctedTable is the built-in table with gpt-oss-20b and Gemini 2.5 Flash input
// prices doubled: what an analyst loads after the provider changed them.
func correctedTable(t *testing.T) *pricing.Table {
	t.Helper()
	prices := pricing.Default().Prices()
	for i, p := range prices {
		if (p.Model == "openai/gpt-oss-20b" || p.Model == "gemini-2.5-flash") && p.Unit == pricing.InputTokens {
			prices[i].USD *= 2
		}
	}
	var b strings.Builder
	if err := pricing.WriteCSV(&b, prices); err != nil {
		t.Fatal(err)
	}
	table, err := pricing.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func userOf(i int) string { return fmt.Sprintf("call-%02d", i) }

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// sameUSD compares a report's sum with the span's cost: the same arithmetic, up to the
// order of additions.
func sameUSD(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1e-6, math.Abs(b)) }

func attrValue(attrs []attribute.KeyValue, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range attrs {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func runOne(t *testing.T, db *sql.DB, name string, args map[string]string) *queries.Result {
	t.Helper()
	r, err := queries.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), db, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func rowMap(res *queries.Result, i int) map[string]any {
	m := map[string]any{}
	if i >= len(res.Rows) {
		return m
	}
	for j, c := range res.Columns {
		m[c.Name] = res.Rows[i][j]
	}
	return m
}
