package ratelimit_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// tokenBucket is a Groq-style refilling bucket (limit per minute, refilled evenly), the
// way the provider keeps the quota its headers report.
type tokenBucket struct {
	limit float64
	level float64 // tokens available
	at    time.Time
}

func (b *tokenBucket) refill(now time.Time) {
	b.level = math.Min(b.limit, b.level+b.limit*now.Sub(b.at).Seconds()/60)
	b.at = now
}

// take takes n tokens if they fit and returns the headers the response carries.
func (b *tokenBucket) take(now time.Time, n float64) (ratelimit.Headers, bool) {
	b.refill(now)
	ok := n <= b.level
	if ok {
		b.level -= n
	}
	reset := time.Duration((b.limit - b.level) / b.limit * float64(time.Minute))
	return ratelimit.Headers{TokensLimit: int64(b.limit), TokensRemaining: int64(b.level), TokensReset: reset, HasTokens: true}, ok
}

// TestTrackerForecastsABucketDraining drives a Groq token bucket first below its refill
// rate (it never runs out: "not before reset"), then above it, and checks that the
// forecast made while draining names the moment the provider first refuses.
func TestTrackerForecastsABucketDraining(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now})
	b := &tokenBucket{limit: 6000, level: 6000, at: clk.Now()} // refills 100 tokens a second
	state := func() quota.State {
		return find(t, tr.States(), "groq", "m", semconv.ResourceTokens, semconv.WindowMinute, semconv.SourceHeader)
	}
	call := func(tokens float64) bool {
		h, ok := b.take(clk.Now(), tokens)
		tr.ObserveHeaders("groq", "m", h)
		return ok
	}
	for range 120 { // 80 tokens a second for a minute
		call(40)
		clk.Add(500 * time.Millisecond)
	}
	if s := state(); s.Forecast != semconv.ForecastNotBeforeReset || math.Abs(s.Rate-80) > 8 {
		t.Fatalf("below the refill: forecast %s at %v tokens/s; want not_before_reset near 80", s.Forecast, s.Rate)
	}
	var predicted time.Time
	for i := 0; ; i++ { // then 200 tokens a second: the bucket drains at 100 a second
		if !call(100) {
			break
		}
		if i == 70 { // 35 s in, the rate has settled (3.5 tau); about 25 s to go
			s := state()
			if s.Forecast != semconv.ForecastBeforeReset {
				t.Fatalf("draining: forecast %s (%+v)", s.Forecast, s)
			}
			predicted = s.ExhaustsAt
		}
		clk.Add(500 * time.Millisecond)
		if i > 1000 {
			t.Fatal("the bucket never ran out")
		}
	}
	refused := clk.Now()
	predictedAt := predicted.Sub(mustTime("2026-11-27T15:01:35Z"))
	actual := refused.Sub(mustTime("2026-11-27T15:01:35Z"))
	t.Logf("predicted exhaustion %s after the forecast, first refusal %s after", predictedAt, actual)
	if rel := math.Abs(predictedAt.Seconds()-actual.Seconds()) / actual.Seconds(); rel > 0.1 {
		t.Errorf("predicted %s, refused %s: off by %.0f%%", predicted, refused, 100*rel)
	}
	if s := state(); s.Forecast != semconv.ForecastExhausted && s.Remaining > 150 {
		t.Errorf("after the refusal: %+v", s)
	}
}

// TestTrackerForecastAlerts checks that a predicted exhaustion within the horizon fires
// the alert callback once per window, and that the horizon is configurable.
func TestTrackerForecastAlerts(t *testing.T) {
	for _, tt := range []struct {
		horizon, want time.Duration // want: the horizon in force; 0 fires none
	}{{0, ratelimit.DefaultHorizon}, {10 * time.Second, 10 * time.Second}, {-1, 0}} {
		t.Run(fmt.Sprint(tt.horizon), func(t *testing.T) {
			clk := newClock("2026-11-27T15:00:00Z")
			var got alerts
			tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, OnAlert: got.add, Horizon: tt.horizon,
				Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerDay: 1000}}})
			// A day: 1 call every 2 s for 10 minutes, then 1 a second until the quota
			// is gone, about 11 minutes into the 9 hours to Pacific midnight.
			day := func() (forecasts []quota.Alert) {
				for range 300 {
					tr.ObserveCall("gcp.gemini", "m", 0)
					clk.Add(2 * time.Second)
				}
				for range 800 {
					tr.ObserveCall("gcp.gemini", "m", 0)
					clk.Add(time.Second)
				}
				for _, a := range got.take() {
					if a.Reason == quota.AlertForecast {
						forecasts = append(forecasts, a)
					}
				}
				return forecasts
			}
			forecasts := day()
			if tt.want == 0 {
				if len(forecasts) != 0 {
					t.Fatalf("horizon %s: forecast alerts %+v", tt.horizon, forecasts)
				}
				return
			}
			if len(forecasts) != 1 {
				t.Fatalf("%d forecast alerts, want 1 for the window: %+v", len(forecasts), forecasts)
			}
			a := forecasts[0]
			if in := a.State.ExhaustsAt.Sub(a.State.UpdatedAt); in > tt.want || in <= 0 || a.Horizon != tt.want ||
				a.State.Window != semconv.WindowDay || a.State.Forecast != semconv.ForecastBeforeReset {
				t.Errorf("alert %+v: runs out in %s", a, in)
			}
			// The next Pacific day is a new window: it alerts again, once.
			clk.Add(17 * time.Hour)
			if n := len(day()); n != 1 {
				t.Errorf("next day: %d forecast alerts, want 1", n)
			}
		})
	}
}

func TestTrackerRefuse(t *testing.T) {
	groq := func(remaining, reset string) ratelimit.Headers {
		return ratelimit.ParseHeaders(groqHeaders("1000", remaining, reset, "6000", "0", "1s"))
	}
	limits := []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 2}}
	tests := []struct {
		name    string
		guard   quota.Guard
		do      func(tr *ratelimit.Tracker, clk *clock)
		ask     semconv.Provider
		model   string
		refuse  bool
		source  string
		untilIn time.Duration
	}{
		{"requests left", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveHeaders("groq", "m", groq("1", "24h"))
		}, "groq", "m", false, "", 0},
		{"no request left until the first comes back", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h")) // one back every 86.4 s
		}, "groq", "m", true, semconv.SourceHeader, 86400 * time.Millisecond},
		{"another model", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h"))
		}, "groq", "other", false, "", 0},
		{"stale reading", quota.Guard{}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h"))
			clk.Add(61 * time.Second)
		}, "groq", "m", false, "", 0},
		{"stale reading allowed", quota.Guard{MaxAge: 2 * time.Minute}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h"))
			clk.Add(61 * time.Second)
		}, "groq", "m", true, semconv.SourceHeader, 25400 * time.Millisecond},
		{"first request back", quota.Guard{}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h"))
			clk.Add(87 * time.Second)
		}, "groq", "m", false, "", 0},
		{"429 waiting", quota.Guard{}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveExceeded("groq", "m", "tokens", "1m", 7*time.Second)
			clk.Add(2 * time.Second)
		}, "groq", "m", true, quota.SourceRetryAfter, 5 * time.Second},
		{"429 wait over", quota.Guard{}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveExceeded("gcp.gemini", "m", "requests", "1m", 7*time.Second)
			clk.Add(7 * time.Second)
		}, "gcp.gemini", "m", false, "", 0},
		{"429 without a delay", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveExceeded("gcp.gemini", "m", "requests", "1m", 0)
		}, "gcp.gemini", "m", false, "", 0},
		{"the longer reason wins", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveHeaders("groq", "m", groq("0", "24h"))
			tr.ObserveExceeded("groq", "m", "requests", "1d", 90*time.Second)
		}, "groq", "m", true, quota.SourceRetryAfter, 90 * time.Second},
		{"estimate used up: not by default", quota.Guard{}, func(tr *ratelimit.Tracker, _ *clock) {
			tr.ObserveCall("gcp.gemini", "m", 0)
			tr.ObserveCall("gcp.gemini", "m", 0)
		}, "gcp.gemini", "m", false, "", 0},
		{"estimate used up, estimates on", quota.Guard{Estimates: true}, func(tr *ratelimit.Tracker, clk *clock) {
			tr.ObserveCall("gcp.gemini", "m", 0)
			tr.ObserveCall("gcp.gemini", "m", 0)
			clk.Add(10 * time.Second)
		}, "gcp.gemini", "m", true, semconv.SourceEstimate, 50 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock("2026-11-27T15:00:00Z")
			tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: limits})
			tt.do(tr, clk)
			r, refused := tr.Refuse(tt.ask, tt.model, tt.guard)
			if refused != tt.refuse {
				t.Fatalf("refused %v (%+v), want %v", refused, r, tt.refuse)
			}
			if !refused {
				return
			}
			if in := r.Until.Sub(clk.Now()); r.Source != tt.source || (in-tt.untilIn).Abs() > time.Millisecond {
				t.Errorf("refusal %+v: until in %s; want source %s, until in %s", r, in, tt.source, tt.untilIn)
			}
		})
	}
}
