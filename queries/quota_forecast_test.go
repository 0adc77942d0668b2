package queries

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/schema/schematest"
)

// TestQuotaForecast checks the quota report's forecast against the model it documents,
// computed here in Go from the same calls: two instances calling at once (a fleet), a
// Groq token bucket draining faster than it refills, a Gemini day running out before
// midnight Pacific and one that does not, and a window with too little history.
func TestQuotaForecast(t *testing.T) {
	ctx := context.Background()
	db := schematest.Open(t, "")                         // in memory
	at := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC) // 10:00 Pacific
	var calls []call
	// Groq: two instances, each a call a second for two minutes, 150 tokens a call. The
	// newest response says 3000 tokens are left.
	for i := 120; i >= 1; i-- {
		for _, offset := range []time.Duration{0, 500 * time.Millisecond} {
			c := call{start: at.Add(-time.Duration(i)*time.Second + offset), provider: "groq", model: "g", status: 200, in: 100, out: 50,
				reqLimit: 14400, reqRemaining: 10000 + int64(i), reqReset: 600, tokLimit: 6000, tokRem: 3000 + int64(i), tokReset: 30}
			calls = append(calls, c)
		}
	}
	calls[len(calls)-1].tokRem, calls[len(calls)-1].reqRemaining = 3000, 10000
	// Gemini m: two instances, each a call every 30 s for two hours; a 429 in between
	// uses nothing. Gemini slow: a call every 10 minutes.
	for i := 240; i >= 1; i-- {
		for _, offset := range []time.Duration{0, 15 * time.Second} {
			calls = append(calls, call{start: at.Add(-time.Duration(i)*30*time.Second + offset), provider: "gcp.gemini", model: "m", status: 200, in: 1000, out: 10})
		}
	}
	calls = append(calls, call{start: at.Add(-7 * time.Second), provider: "gcp.gemini", model: "m", status: 429, errType: "RESOURCE_EXHAUSTED"})
	for i := 12; i >= 1; i-- {
		calls = append(calls, call{start: at.Add(-time.Duration(i) * 10 * time.Minute), provider: "gcp.gemini", model: "slow", status: 200, in: 10, out: 10})
	}
	if err := insertCalls(ctx, db, calls); err != nil {
		t.Fatal(err)
	}
	for _, s := range []snapshot{
		{at.Add(-10 * time.Second), "gcp.gemini", "m", "requests", "1d", "estimate", 1000, 500},
		{at.Add(-time.Minute), "gcp.gemini", "slow", "requests", "1d", "estimate", 1000, 990},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO ai_quota_snapshot VALUES (?, 'instance-a', ?, ?, ?, ?, ?, ?, ?, 0)`,
			s.time, s.provider, s.model, s.resource, s.window, s.source, s.limit, s.remaining); err != nil {
			t.Fatal(err)
		}
	}

	// The documented model: amounts weighted e^(-age/tau), over the weighted time observed.
	rate := func(model, resource string, tau float64) (float64, bool) {
		var sum, observed float64
		for _, c := range calls {
			age := at.Sub(c.start).Seconds()
			if c.model != model || age < 0 || age >= 8*tau {
				continue
			}
			observed = math.Max(observed, age)
			if c.status >= 400 {
				continue
			}
			amount := 1.0
			if resource == "tokens" {
				amount = float64(c.in + c.out)
				if c.provider == "gcp.gemini" {
					amount = float64(c.in)
				}
			}
			sum += amount * math.Exp(-age/tau)
		}
		if observed < tau/4 {
			return 0, false
		}
		return sum / (tau * (1 - math.Exp(-observed/tau))), true
	}
	midnight := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	groqRate, _ := rate("g", "tokens", 10)
	mRate, _ := rate("m", "requests", 900)
	slowRate, _ := rate("slow", "requests", 900)
	readAt := at.Add(-500 * time.Millisecond)
	want := map[string]struct {
		rate     any
		forecast string
		at       time.Time
	}{
		"g tokens":      {groqRate, "before_reset", readAt.Add(time.Duration(3000 / (groqRate - 100) * float64(time.Second)))},
		"g requests":    {nil, "unknown", time.Time{}}, // two minutes of a day window: too little
		"m requests":    {mRate, "before_reset", at.Add(time.Duration(500 / mRate * float64(time.Second)))},
		"slow requests": {slowRate, "not_before_reset", time.Time{}},
	}
	if groqRate < 250 || want["m requests"].at.After(midnight) || at.Add(time.Duration(988/slowRate*float64(time.Second))).Before(midnight) {
		t.Fatalf("the data set does not make the cases it claims: groq %v tokens/s, m runs out at %s", groqRate, want["m requests"].at)
	}
	res := runReport(t, db, "quota", map[string]string{"as_of": ts(at)})
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Name] = i
	}
	if len(res.Rows) != len(want) {
		t.Errorf("%d quotas, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	for _, row := range res.Rows {
		k := row[col["model"]].(string) + " " + row[col["resource"]].(string)
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected quota %s", k)
			continue
		}
		got := row[col["rate_per_s"]]
		if (got == nil) != (w.rate == nil) || got != nil && math.Abs(got.(float64)-w.rate.(float64)) > 1e-9*w.rate.(float64) {
			t.Errorf("%s: rate_per_s %v, want %v", k, got, w.rate)
		}
		if f := row[col["forecast"]]; f != w.forecast {
			t.Errorf("%s: forecast %v, want %s", k, f, w.forecast)
		}
		exhausts, _ := row[col["exhausts_at"]].(string)
		if w.at.IsZero() != (exhausts == "") {
			t.Errorf("%s: exhausts_at %q, want %v", k, exhausts, w.at)
			continue
		}
		if exhausts != "" {
			e, err := time.Parse(time.RFC3339Nano, exhausts)
			if err != nil || e.Sub(w.at).Abs() > time.Millisecond {
				t.Errorf("%s: exhausts_at %s, want %s", k, exhausts, ts(w.at))
			}
		}
	}
}
