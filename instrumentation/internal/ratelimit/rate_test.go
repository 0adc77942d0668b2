package ratelimit

import (
	"math"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

var t0 = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// feed adds amount every interval over [from, to) and returns the time after the last.
func feed(r *rate, from, to time.Time, interval time.Duration, amount float64) time.Time {
	at := from
	for ; at.Before(to); at = at.Add(interval) {
		r.add(at, amount)
	}
	return at
}

func within(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

func TestRateSteadyFromTheFirstSeconds(t *testing.T) {
	for _, tt := range []struct {
		window   string
		interval time.Duration
		amount   float64
	}{
		{semconv.WindowMinute, 100 * time.Millisecond, 1}, // 10 requests a second
		{semconv.WindowMinute, 7 * time.Second, 700},      // sparse: 100 tokens a second in lumps
		{semconv.WindowDay, 30 * time.Second, 1},          // 2 requests a minute
	} {
		r := newRate(tt.window)
		want := tt.amount / tt.interval.Seconds()
		tau := smoothing(tt.window)
		// From the first moment a rate is given (a quarter of tau) to well after, the
		// estimate at an event is the true rate: no warm-up, no jump at each event.
		end := feed(&r, t0, t0.Add(time.Duration(minHistory*float64(tau))), tt.interval, tt.amount)
		for at := end; at.Before(t0.Add(5 * tau)); at = at.Add(tt.interval) {
			r.add(at, tt.amount)
			got, ok := r.perSecond(at)
			if !ok || !within(got, want, 0.02) {
				t.Fatalf("%s every %s: rate %v (ok %v) at +%s, want %v within 2%%", tt.window, tt.interval, got, ok, at.Sub(t0), want)
			}
		}
	}
}

func TestRateNeedsHistory(t *testing.T) {
	r := newRate(semconv.WindowMinute)
	if _, ok := r.perSecond(t0); ok {
		t.Error("rate before any event")
	}
	r.add(t0, 1)
	r.add(t0.Add(time.Millisecond), 1)
	r.add(t0.Add(2*time.Millisecond), 1)
	if got, ok := r.perSecond(t0.Add(2 * time.Millisecond)); ok {
		t.Errorf("three calls in 2 ms give a rate of %v; want none yet", got)
	}
	if _, ok := r.perSecond(t0.Add(time.Duration(minHistory * float64(minuteTau)))); !ok {
		t.Error("no rate after a quarter of tau")
	}
}

func TestRateDecaysWhenIdle(t *testing.T) {
	r := newRate(semconv.WindowMinute)
	end := feed(&r, t0, t0.Add(time.Minute), 100*time.Millisecond, 1)
	before, _ := r.perSecond(end)
	after, _ := r.perSecond(end.Add(3 * minuteTau))
	if !within(before, 10, 0.02) || after > 0.06*before {
		t.Errorf("rate %v before 3 tau idle, %v after; want 10 then below 6%%", before, after)
	}
}

func TestRateBurstFades(t *testing.T) {
	r := newRate(semconv.WindowMinute)
	at := feed(&r, t0, t0.Add(time.Minute), time.Second, 1)
	for range 100 { // a burst of 100 calls at once
		r.add(at, 1)
	}
	peak, _ := r.perSecond(at)
	at = feed(&r, at.Add(time.Second), at.Add(7*minuteTau), time.Second, 1)
	got, _ := r.perSecond(at.Add(-time.Second))
	if peak < 5 || !within(got, 1, 0.05) {
		t.Errorf("burst: %v at its peak, %v seven tau later; want above 5, then 1 within 5%%", peak, got)
	}
}

func TestRateClockBack(t *testing.T) {
	r := newRate(semconv.WindowMinute)
	at := feed(&r, t0, t0.Add(30*time.Second), time.Second, 1)
	r.add(at.Add(-10*time.Second), 1) // counts at the last time, never negative ages
	if got, ok := r.perSecond(at); !ok || got <= 0 || math.IsInf(got, 0) || math.IsNaN(got) {
		t.Errorf("rate after a clock step back: %v %v", got, ok)
	}
}

// steady is a rate that has seen perSecond for long, current at now.
func steady(window string, perSecond float64, now time.Time) rate {
	r := newRate(window)
	r.start, r.last, r.sum = now.Add(-100*smoothing(window)), now, perSecond*r.tau
	return r
}

func TestForecast(t *testing.T) {
	now := t0
	state := func(window string, limit, remaining int64, resetIn time.Duration) quota.State {
		s := quota.State{Window: window, Limit: limit, Remaining: remaining, UpdatedAt: now.Add(-time.Second)}
		if resetIn != 0 {
			s.ResetAt = now.Add(resetIn)
		}
		return s
	}
	tests := []struct {
		name     string
		s        quota.State
		kind     refill
		rate     float64 // <0: no rate yet
		readAgo  time.Duration
		forecast string
		in       time.Duration // ExhaustsAt - now when before_reset
	}{
		{"day: runs out before midnight", state("1d", 250, 100, 2*time.Hour), fixedWindow, 0.1, 0, semconv.ForecastBeforeReset, 1000 * time.Second},
		{"day: the reset comes first", state("1d", 250, 100, 2*time.Hour), fixedWindow, 0.01, 0, semconv.ForecastNotBeforeReset, 0},
		{"day: idle", state("1d", 250, 100, 2*time.Hour), fixedWindow, 0, 0, semconv.ForecastNotBeforeReset, 0},
		{"bucket: refill keeps up", state("1m", 6000, 3000, 30*time.Second), refilling, 80, 0, semconv.ForecastNotBeforeReset, 0},
		{"bucket: drains past its reset", state("1m", 6000, 3000, 5*time.Second), refilling, 400, 0, semconv.ForecastBeforeReset, 10 * time.Second},
		{"bucket: from an older reading", state("1m", 6000, 3000, 5*time.Second), refilling, 400, 4 * time.Second, semconv.ForecastBeforeReset, 6 * time.Second},
		{"bucket: ran out since its reading", state("1m", 6000, 300, 5*time.Second), refilling, 400, 4 * time.Second, semconv.ForecastBeforeReset, 0},
		{"sliding: usage leaves as it comes", state("1m", 10, 4, time.Minute), sliding, 0.1, 0, semconv.ForecastNotBeforeReset, 0},
		{"sliding: rate above what leaves", state("1m", 10, 4, time.Minute), sliding, 0.3, 0, semconv.ForecastBeforeReset, 20 * time.Second},
		{"exhausted", state("1m", 6000, 0, 5*time.Second), refilling, 400, 0, semconv.ForecastExhausted, 0},
		{"overrun estimate", state("1d", 20, -3, time.Hour), fixedWindow, -1, 0, semconv.ForecastExhausted, 0},
		{"exhausted, reset passed", state("1d", 250, 0, -time.Second), fixedWindow, 0.001, 0, semconv.ForecastNotBeforeReset, 0},
		{"no rate yet", state("1m", 10, 4, time.Minute), sliding, -1, 0, semconv.ForecastUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRate(tt.s.Window)
			if tt.rate >= 0 {
				r = steady(tt.s.Window, tt.rate, now)
			}
			s := tt.s
			forecast(&s, tt.kind, &r, now.Add(-tt.readAgo), now)
			if s.Forecast != tt.forecast {
				t.Fatalf("forecast %s, want %s (%+v)", s.Forecast, tt.forecast, s)
			}
			switch s.Forecast {
			case semconv.ForecastBeforeReset:
				if got := s.ExhaustsAt.Sub(now); (got - tt.in).Abs() > time.Millisecond {
					t.Errorf("runs out in %s, want %s", got, tt.in)
				}
			case semconv.ForecastExhausted:
				if !s.ExhaustsAt.Equal(s.UpdatedAt) {
					t.Errorf("exhausted at %s, want when seen (%s)", s.ExhaustsAt, s.UpdatedAt)
				}
			default:
				if !s.ExhaustsAt.IsZero() {
					t.Errorf("ExhaustsAt %s with forecast %s", s.ExhaustsAt, s.Forecast)
				}
			}
			if tt.rate >= 0 && !within(s.Rate, tt.rate, 1e-9) {
				t.Errorf("rate %v, want %v", s.Rate, tt.rate)
			}
		})
	}
}

func TestConsumedFromBucketReadings(t *testing.T) {
	e := newEntry("groq", "m", semconv.ResourceTokens, semconv.WindowMinute, semconv.SourceHeader, refilling)
	steps := []struct {
		after            time.Duration
		limit, remaining int64
		amount           float64
		ok               bool
	}{
		{0, 6000, 5000, 0, true},                        // the first reading only starts
		{time.Second, 6000, 4600, 500, true},            // 5000 + 100 refilled - 4600
		{500 * time.Millisecond, 6000, 5200, 0, false},  // above 4600 + 50: an older response, skipped
		{500 * time.Millisecond, 6000, 4500, 200, true}, // 4600 + 100 - 4500, from the last used reading
		{time.Minute, 6000, 5900, 100, true},            // refilled to full, not beyond
		{time.Second, 12000, 11000, 0, true},            // a new limit starts over
	}
	at := t0
	for i, s := range steps {
		at = at.Add(s.after)
		amount, ok := e.consumed(s.limit, s.remaining, at)
		if ok != s.ok || math.Abs(amount-s.amount) > 1e-9 {
			t.Errorf("step %d: consumed %v (ok %v), want %v (%v)", i, amount, ok, s.amount, s.ok)
		}
	}
}

// BenchmarkForecast measures what the forecast adds to each observation of a window:
// updating the rate and predicting from it. A Groq response does it for two windows,
// a Gemini call for three; compare with BenchmarkTrackerObserve.
func BenchmarkForecast(b *testing.B) {
	b.Run("rate.add", func(b *testing.B) {
		r := newRate(semconv.WindowMinute)
		at := t0
		for b.Loop() {
			at = at.Add(time.Millisecond)
			r.add(at, 100)
		}
	})
	b.Run("forecast", func(b *testing.B) {
		r := steady(semconv.WindowMinute, 400, t0)
		s := quota.State{Window: "1m", Limit: 6000, Remaining: 3000, ResetAt: t0.Add(30 * time.Second), UpdatedAt: t0}
		for b.Loop() {
			forecast(&s, refilling, &r, t0, t0)
		}
	})
	b.Run("header-window", func(b *testing.B) { // consumed + rate.add + forecast: one window of a Groq response
		e := newEntry("groq", "m", semconv.ResourceTokens, semconv.WindowMinute, semconv.SourceHeader, refilling)
		at := t0
		remaining := int64(6000)
		for b.Loop() {
			at = at.Add(time.Millisecond)
			remaining = max(remaining-1, 0)
			if amount, ok := e.consumed(6000, remaining, at); ok {
				e.rate.add(at, amount)
			}
			e.state.Limit, e.state.Remaining, e.state.UpdatedAt = 6000, remaining, at
			forecast(&e.state, e.kind, &e.rate, at, at)
		}
	})
}

func TestDecayOver(t *testing.T) {
	for _, x := range []float64{0, 1e-9, 1e-6, 1e-4, 0.00999, 0.01, 0.5, 3, 50} {
		decay, mean := decayOver(x)
		wantMean := 1.0
		if x > 0 {
			wantMean = -math.Expm1(-x) / x
		}
		if !within(decay, math.Exp(-x), 1e-9) || !within(mean, wantMean, 1e-9) {
			t.Errorf("decayOver(%v) = %v, %v; want %v, %v", x, decay, mean, math.Exp(-x), wantMean)
		}
	}
}
