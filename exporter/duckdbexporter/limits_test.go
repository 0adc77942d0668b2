package duckdbexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// TestAttributeLimits: a span with 10,000 attributes (a 178 KB row before the cap) keeps
// max_count of them and every typed column; one with a few huge attributes stops at
// max_bytes; an unusable typed value is kept past the caps; what is left out is counted.
func TestAttributeLimits(t *testing.T) {
	tel, e := startWithTelemetry(t)
	e.cfg.AttributeLimits = AttributeLimitsConfig{MaxCount: 100, MaxBytes: 4096}
	ctx := context.Background()

	many := groqCall()
	for i := range 10000 { // "a…" sorts before the contract's attributes: they come last
		many[fmt.Sprintf("a%05d", i)] = i
	}
	huge := with(groqCall(), string(semconv.HTTPResponseStatusCode), "teapot") // unusable: kept past the caps
	for i := range 5 {
		huge[fmt.Sprintf("a.blob%d", i)] = strings.Repeat("x", 1500)
	}
	resource := buildTraces(testSpan{n: 3, attrs: groqCall(), start: testStart})
	res := resource.ResourceSpans().At(0).Resource().Attributes()
	for i := range 500 {
		res.PutInt(fmt.Sprintf("r%03d", i), int64(i))
	}
	td := buildTraces(testSpan{n: 1, attrs: many, start: testStart}, testSpan{n: 2, attrs: huge, start: testStart})
	resource.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	if err := e.pushTraces(ctx, td); err != nil {
		t.Fatal(err)
	}

	row := func(n uint64) (attrs map[string]any, size int, typed string) {
		var raw, resRaw, cols string
		err := e.db.QueryRow(`SELECT attributes::VARCHAR, resource_attributes::VARCHAR,
    concat_ws(',', provider, request_model, input_tokens, status_code, cost_usd, user_id)
FROM ai_usage_log WHERE span_id = ?`, spanIDString(spanID(n))).Scan(&raw, &resRaw, &cols)
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			raw = resRaw
		}
		if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
			t.Fatalf("span %d: %v in %s", n, err, raw)
		}
		return attrs, len(raw), cols
	}
	const typed = "groq,llama-3.1-8b-instant,120,200,8.4e-06,u1"
	attrs, size, cols := row(1)
	if len(attrs) != 100 || attrs["a00000"] != float64(0) || attrs["a00099"] != float64(99) || cols != typed {
		t.Errorf("10,000 attributes: kept %d (%d bytes), columns %q; want the first 100 and every column", len(attrs), size, cols)
	}
	attrs, size, cols = row(2)
	if size > 4096+len(`,"http.response.status_code":"teapot"`) || len(attrs) != 4 || attrs["http.response.status_code"] != "teapot" ||
		cols != "groq,llama-3.1-8b-instant,120,8.4e-06,u1" {
		t.Errorf("huge attributes: kept %v in %d bytes, columns %q", keys(attrs), size, cols)
	}
	if attrs, size, _ = row(3); len(attrs) != 100 || size > 4096 {
		t.Errorf("resource attributes: kept %d in %d bytes, want 100", len(attrs), size)
	}

	// Metric points and their resources have the same caps.
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	p := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	p.SetTimestamp(1_764_000_000_000_000_000) // 2025-11-24
	p.SetIntValue(1)
	for i := range 300 {
		p.Attributes().PutInt(fmt.Sprintf("p%03d", i), int64(i))
		rm.Resource().Attributes().PutInt(fmt.Sprintf("r%03d", i), int64(i))
	}
	if err := e.pushMetrics(ctx, md); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, e.db, `SELECT len(json_keys(attributes)) + len(json_keys(resource_attributes)) FROM ai_metric_gauge`); n != 200 {
		t.Errorf("a point keeps %d attributes and resource attributes, want 100 + 100", n)
	}

	dropped := counterPoints(t, tel, metricDroppedAttributes)
	// By count: span 1's 9,900 a… and server.port; span 3's resource (built once a batch)
	// 402 of service.name, host.name and 500 r…; the point's 200 and its resource's 200.
	// By bytes: three of span 2's five blobs.
	if want := int64(9901 + 402 + 400); dropped["max_count"] != want || dropped["max_bytes"] != 3 {
		t.Errorf("dropped attributes %v; want max_count %d, max_bytes 3", dropped, want)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
