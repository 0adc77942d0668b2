package ratelimit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// clock is a settable time source, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(rfc3339 string) *clock {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		panic(err)
	}
	return &clock{t: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// alerts collects fired alerts.
type alerts struct {
	mu  sync.Mutex
	got []quota.Alert
}

func (a *alerts) add(x quota.Alert) {
	a.mu.Lock()
	a.got = append(a.got, x)
	a.mu.Unlock()
}

func (a *alerts) take() []quota.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.got
	a.got = nil
	return out
}

// find returns the state for resource, window and source of provider/model.
func find(t *testing.T, states []quota.State, provider semconv.Provider, model, resource, window, source string) quota.State {
	t.Helper()
	for _, s := range states {
		if s.Provider == provider && s.Model == model && s.Resource == resource && s.Window == window && s.Source == source {
			return s
		}
	}
	t.Fatalf("no state %s %s %s/%s %s in %+v", provider, model, resource, window, source, states)
	return quota.State{}
}

func TestTrackerHeaders(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now})
	tr.ObserveHeaders(semconv.ProviderGroq, "llama-3.1-8b-instant", ratelimit.ParseHeaders(
		groqHeaders("14400", "13950", "2m59.56s", "6000", "5400", "7.66s")))

	states := tr.States()
	if len(states) != 2 {
		t.Fatalf("got %d states, want 2: %+v", len(states), states)
	}
	want := []quota.State{
		{
			Provider: "groq", Model: "llama-3.1-8b-instant", Resource: "requests", Window: "1d", Source: "header",
			Limit: 14400, Remaining: 13950, Utilization: 450.0 / 14400, // 0.03125
			ResetAt:   mustTime("2026-11-27T15:02:59.56Z"),
			UpdatedAt: mustTime("2026-11-27T15:00:00Z"),
		},
		{
			Provider: "groq", Model: "llama-3.1-8b-instant", Resource: "tokens", Window: "1m", Source: "header",
			Limit: 6000, Remaining: 5400, Utilization: 0.1,
			ResetAt:   mustTime("2026-11-27T15:00:07.66Z"),
			UpdatedAt: mustTime("2026-11-27T15:00:00Z"),
		},
	}
	for i := range want {
		if !sameState(states[i], want[i]) {
			t.Errorf("state %d:\n got %+v\nwant %+v", i, states[i], want[i])
		}
	}

	// Past the tokens reset the provider's bucket is full again; requests are not yet.
	clk.Add(8 * time.Second)
	states = tr.States()
	if s := find(t, states, "groq", "llama-3.1-8b-instant", "tokens", "1m", "header"); s.Remaining != 6000 || s.Utilization != 0 {
		t.Errorf("tokens after reset: remaining %d utilization %v; want 6000, 0", s.Remaining, s.Utilization)
	}
	if s := find(t, states, "groq", "llama-3.1-8b-instant", "requests", "1d", "header"); s.Remaining != 13950 {
		t.Errorf("requests before their reset: remaining %d, want 13950", s.Remaining)
	}

	// A response with only the tokens set leaves the requests reading as it was.
	tr.ObserveHeaders("groq", "llama-3.1-8b-instant", ratelimit.Headers{TokensLimit: 6000, TokensRemaining: 1, HasTokens: true})
	if s := find(t, tr.States(), "groq", "llama-3.1-8b-instant", "requests", "1d", "header"); s.Remaining != 13950 || !s.UpdatedAt.Equal(mustTime("2026-11-27T15:00:00Z")) {
		t.Errorf("requests after a tokens-only reading: %+v", s)
	}
	// Without a usable reset the reading stands: it is never taken for a refilled window.
	tr.ObserveHeaders("groq", "no-reset", ratelimit.ParseHeaders(groqHeaders("1000", "10", "soon", "", "", "")))
	clk.Add(time.Hour)
	if s := find(t, tr.States(), "groq", "no-reset", "requests", "1d", "header"); s.Remaining != 10 || !s.ResetAt.IsZero() {
		t.Errorf("reading without reset an hour on: remaining %d reset %v; want 10, zero", s.Remaining, s.ResetAt)
	}
	// No quota headers at all: nothing new is tracked.
	tr.ObserveHeaders("groq", "other-model", ratelimit.Headers{RetryAfter: time.Second, HasRetryAfter: true})
	if n := len(tr.States()); n != 3 {
		t.Errorf("a reading without counts added states: %d, want 3", n)
	}
}

func sameState(a, b quota.State) bool {
	return a.Provider == b.Provider && a.Model == b.Model && a.Resource == b.Resource && a.Window == b.Window &&
		a.Source == b.Source && a.Limit == b.Limit && a.Remaining == b.Remaining && a.Utilization == b.Utilization &&
		a.ResetAt.Equal(b.ResetAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestTrackerHeaderAlerts(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	var got alerts
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Threshold: 0.8, Horizon: -1, OnAlert: got.add})
	observe := func(remainingTokens string) {
		tr.ObserveHeaders("groq", "m", ratelimit.ParseHeaders(groqHeaders("1000", "999", "1s", "100", remainingTokens, "1s")))
	}
	steps := []struct {
		remaining string
		fires     bool
	}{
		{"50", false}, // 0.5
		{"20", true},  // 0.8: reaching the threshold counts as crossing
		{"5", false},  // still above: no repeat
		{"0", false},
		{"30", false}, // 0.7: re-armed
		{"10", true},  // 0.9: crosses again
	}
	for i, s := range steps {
		observe(s.remaining)
		fired := got.take()
		if (len(fired) == 1) != s.fires || len(fired) > 1 {
			t.Fatalf("step %d (remaining %s): %d alerts, want fires=%v: %+v", i, s.remaining, len(fired), s.fires, fired)
		}
		if s.fires {
			a := fired[0]
			if a.Threshold != 0.8 || a.State.Resource != "tokens" || a.State.Window != "1m" || a.State.Source != "header" ||
				a.State.Provider != "groq" || a.State.Model != "m" || a.State.Limit != 100 {
				t.Errorf("step %d: alert %+v", i, a)
			}
		}
	}
}

func TestTrackerDefaultThreshold(t *testing.T) {
	var got alerts
	tr := ratelimit.NewTracker(ratelimit.Options{Horizon: -1, OnAlert: got.add})
	tr.ObserveHeaders("groq", "m", ratelimit.Headers{RequestsLimit: 100, RequestsRemaining: 11, HasRequests: true}) // 0.89
	if n := len(got.take()); n != 0 {
		t.Fatalf("alert below the default threshold: %d", n)
	}
	tr.ObserveHeaders("groq", "m", ratelimit.Headers{RequestsLimit: 100, RequestsRemaining: 10, HasRequests: true}) // 0.90
	if a := got.take(); len(a) != 1 || a[0].Threshold != ratelimit.DefaultThreshold {
		t.Fatalf("alerts at the default threshold: %+v", a)
	}
}

func TestTrackerEstimates(t *testing.T) {
	// 23:59:30 on Nov 27 in Los Angeles (PST, UTC-8).
	clk := newClock("2026-11-28T07:59:30Z")
	tr := ratelimit.NewTracker(ratelimit.Options{
		Now:    clk.Now,
		Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 10, RequestsPerDay: 20, TokensPerMinute: 1000}},
	})
	const m = "gemini-2.5-flash"
	for range 3 {
		tr.ObserveCall("gcp.gemini", m, 100)
	}
	states := tr.States()
	if len(states) != 3 {
		t.Fatalf("got %d states, want 3: %+v", len(states), states)
	}
	checks := []struct {
		resource, window string
		limit, remaining int64
		resetAt          string
	}{
		{"requests", "1d", 20, 17, "2026-11-28T08:00:00Z"}, // Pacific midnight
		{"requests", "1m", 10, 7, "2026-11-28T08:00:30Z"},  // a minute after the last call
		{"tokens", "1m", 1000, 700, "2026-11-28T08:00:30Z"},
	}
	for _, c := range checks {
		s := find(t, states, "gcp.gemini", m, c.resource, c.window, "estimate")
		if s.Limit != c.limit || s.Remaining != c.remaining || !s.ResetAt.Equal(mustTime(c.resetAt)) ||
			s.Utilization != float64(c.limit-c.remaining)/float64(c.limit) || !s.UpdatedAt.Equal(mustTime("2026-11-28T07:59:30Z")) {
			t.Errorf("%s/%s: %+v; want limit %d remaining %d reset %s", c.resource, c.window, s, c.limit, c.remaining, c.resetAt)
		}
	}

	// 30 s later it is a new Pacific day; the minute still holds the first three calls.
	clk.Add(30 * time.Second)
	tr.ObserveCall("gcp.gemini", m, 50)
	states = tr.States()
	if s := find(t, states, "gcp.gemini", m, "requests", "1d", "estimate"); s.Remaining != 19 || !s.ResetAt.Equal(mustTime("2026-11-29T08:00:00Z")) {
		t.Errorf("day after midnight: remaining %d reset %s; want 19, 2026-11-29T08:00:00Z", s.Remaining, s.ResetAt)
	}
	if s := find(t, states, "gcp.gemini", m, "requests", "1m", "estimate"); s.Remaining != 6 {
		t.Errorf("minute 30 s on: remaining %d, want 6", s.Remaining)
	}
	if s := find(t, states, "gcp.gemini", m, "tokens", "1m", "estimate"); s.Remaining != 650 {
		t.Errorf("tokens 30 s on: remaining %d, want 650", s.Remaining)
	}

	// 60 s after the first calls they have left the minute; reading alone moves the window.
	clk.Add(30 * time.Second)
	states = tr.States()
	if s := find(t, states, "gcp.gemini", m, "requests", "1m", "estimate"); s.Remaining != 9 {
		t.Errorf("minute 60 s on: remaining %d, want 9", s.Remaining)
	}
	if s := find(t, states, "gcp.gemini", m, "tokens", "1m", "estimate"); s.Remaining != 950 {
		t.Errorf("tokens 60 s on: remaining %d, want 950", s.Remaining)
	}
	// Long idle: everything in the minute is gone.
	clk.Add(time.Hour)
	if s := find(t, tr.States(), "gcp.gemini", m, "tokens", "1m", "estimate"); s.Remaining != 1000 {
		t.Errorf("tokens an hour on: remaining %d, want 1000", s.Remaining)
	}
}

func TestTrackerPacificDayAcrossDST(t *testing.T) {
	// US daylight saving starts 2026-03-08: that day begins at 08:00Z (PST) and the next
	// at 07:00Z (PDT).
	clk := newClock("2026-03-08T12:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerDay: 5}}})
	tr.ObserveCall("gcp.gemini", "m", 0)
	s := find(t, tr.States(), "gcp.gemini", "m", "requests", "1d", "estimate")
	if !s.ResetAt.Equal(mustTime("2026-03-09T07:00:00Z")) || s.Remaining != 4 {
		t.Errorf("DST day: reset %s remaining %d; want 2026-03-09T07:00:00Z, 4", s.ResetAt, s.Remaining)
	}
	clk.Add(19 * time.Hour) // 07:00Z on the 9th: the new day
	s = find(t, tr.States(), "gcp.gemini", "m", "requests", "1d", "estimate")
	if s.Remaining != 5 || !s.ResetAt.Equal(mustTime("2026-03-10T07:00:00Z")) {
		t.Errorf("next day: reset %s remaining %d; want 2026-03-10T07:00:00Z, 5", s.ResetAt, s.Remaining)
	}
}

func TestTrackerLimitMatching(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{
		{Provider: "gcp.gemini", RequestsPerDay: 250},
		{Provider: "gcp.gemini", Model: "gemini-2.5-pro", RequestsPerDay: 50},
		{Provider: "gcp.gemini", Model: "gemini-2.5-pro", RequestsPerDay: 100},  // later wins
		{Provider: "", RequestsPerDay: 1},                                       // invalid: ignored
		{Provider: "gcp.gemini", Model: "gemini-2.0-flash", RequestsPerDay: -1}, // invalid: ignored, the provider-wide one applies
	}})
	tr.ObserveCall("gcp.gemini", "gemini-2.5-pro", 10)
	tr.ObserveCall("gcp.gemini", "gemini-2.5-flash", 10)
	tr.ObserveCall("gcp.gemini", "gemini-2.5-flash", 10)
	tr.ObserveCall("gcp.gemini", "gemini-2.0-flash", 10)
	tr.ObserveCall("groq", "llama-3.1-8b-instant", 10) // no limit: not estimated
	tr.ObserveCall("", "x", 10)

	states := tr.States()
	type row struct {
		model            string
		limit, remaining int64
	}
	want := []row{ // sorted by model; each model counted on its own
		{"gemini-2.0-flash", 250, 249},
		{"gemini-2.5-flash", 250, 248},
		{"gemini-2.5-pro", 100, 99},
	}
	if len(states) != len(want) {
		t.Fatalf("got %d states, want %d: %+v", len(states), len(want), states)
	}
	for i, w := range want {
		s := states[i]
		if s.Model != w.model || s.Limit != w.limit || s.Remaining != w.remaining || s.Window != "1d" || s.Resource != "requests" {
			t.Errorf("state %d: %+v; want %+v", i, s, w)
		}
	}
}

func TestTrackerEstimateAlerts(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	var got alerts
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Horizon: -1, OnAlert: got.add,
		Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 10}}})
	for i := 1; i <= 12; i++ {
		tr.ObserveCall("gcp.gemini", "m", 0)
		fired := got.take()
		wantFire := i == 9 // 9/10 reaches 0.9
		if (len(fired) == 1) != wantFire || len(fired) > 1 {
			t.Fatalf("call %d: %d alerts, want fires=%v", i, len(fired), wantFire)
		}
		if wantFire && (fired[0].State.Remaining != 1 || fired[0].State.Source != "estimate" || fired[0].State.Window != "1m") {
			t.Errorf("call %d: alert %+v", i, fired[0])
		}
	}
	if s := find(t, tr.States(), "gcp.gemini", "m", "requests", "1m", "estimate"); s.Remaining != -2 || s.Utilization != 1.2 {
		t.Errorf("overrun: remaining %d utilization %v; want -2, 1.2", s.Remaining, s.Utilization)
	}
	clk.Add(time.Minute)
	tr.ObserveCall("gcp.gemini", "m", 0) // 1/10: re-armed
	if n := len(got.take()); n != 0 {
		t.Fatalf("alert after the window emptied: %d", n)
	}
	for range 8 {
		tr.ObserveCall("gcp.gemini", "m", 0)
	}
	if n := len(got.take()); n != 1 {
		t.Fatalf("second crossing: %d alerts, want 1", n)
	}
}

func TestTrackerClockGoingBack(t *testing.T) {
	clk := newClock("2026-11-27T15:00:30Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{{Provider: "p", RequestsPerMinute: 100}}})
	tr.ObserveCall("p", "m", 0)
	clk.Add(-20 * time.Second)
	tr.ObserveCall("p", "m", 0)
	if s := find(t, tr.States(), "p", "m", "requests", "1m", "estimate"); s.Remaining != 98 {
		t.Errorf("after the clock went back: remaining %d, want 98", s.Remaining)
	}
}

func TestTrackerBoundsKeys(t *testing.T) {
	tr := ratelimit.NewTracker(ratelimit.Options{Limits: []quota.Limit{{Provider: "p", RequestsPerDay: 10}}})
	for i := range 3000 {
		model := fmt.Sprint("m", i)
		tr.ObserveCall("p", model, 0)
		tr.ObserveHeaders("groq", model, ratelimit.Headers{RequestsLimit: 10, RequestsRemaining: 5, HasRequests: true})
	}
	if n := len(tr.States()); n > 2*1024 {
		t.Errorf("%d states kept for 3000 models; want a bound", n)
	}
}

// TestTrackerConcurrent runs observers, readers and an alert callback that reads the
// tracker at once (run with -race): every call is counted and the alert fires once.
func TestTrackerConcurrent(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	var tr *ratelimit.Tracker
	var got alerts
	tr = ratelimit.NewTracker(ratelimit.Options{Now: clk.Now,
		Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerDay: 1000}},
		OnAlert: func(a quota.Alert) {
			_ = tr.States() // the callback may use the tracker
			got.add(a)
		}})
	const workers, calls = 8, 125
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				tr.ObserveCall("gcp.gemini", "gemini-2.5-flash", 1)
				tr.ObserveHeaders("groq", "m", ratelimit.Headers{RequestsLimit: 14400, RequestsRemaining: int64(14400 - i), HasRequests: true})
				if i%25 == w%25 {
					_ = tr.States()
				}
			}
		})
	}
	wg.Wait()
	if s := find(t, tr.States(), "gcp.gemini", "gemini-2.5-flash", "requests", "1d", "estimate"); s.Remaining != 0 {
		t.Errorf("after %d calls: remaining %d, want 0", workers*calls, s.Remaining)
	}
	if a := got.take(); len(a) != 1 || a[0].State.Provider != "gcp.gemini" {
		t.Errorf("alerts: %+v; want exactly one for gcp.gemini", a)
	}
}

// TestTrackerHeaderAndEstimateSideBySide configures a Groq limit its headers do not
// cover (requests per minute) and one they do (per day): both sources are kept apart.
func TestTrackerHeaderAndEstimateSideBySide(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{{Provider: "groq", RequestsPerMinute: 30, RequestsPerDay: 1000}}})
	tr.ObserveHeaders("groq", "m", ratelimit.Headers{RequestsLimit: 14400, RequestsRemaining: 14000, HasRequests: true})
	tr.ObserveCall("groq", "m", 10)

	states := tr.States()
	got := make([]string, 0, len(states))
	for _, s := range states {
		got = append(got, fmt.Sprintf("%s/%s/%s %d/%d", s.Resource, s.Window, s.Source, s.Remaining, s.Limit))
	}
	want := []string{"requests/1d/estimate 999/1000", "requests/1d/header 14000/14400", "requests/1m/estimate 29/30"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", got, want)
	}
}

// TestTrackerExceeded checks that a 429 naming a quota reports it exhausted until its
// window ends, whatever was counted, and that the estimate is the count again after.
func TestTrackerExceeded(t *testing.T) {
	limit := quota.Limit{Provider: "gcp.gemini", RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 1000}
	tests := []struct {
		name             string
		start            string // two calls of 100 tokens; the 429 comes 50 s later, one more call 5 s after it
		resource, window string
		retryAfter       time.Duration
		resetAt          string // reported while exhausted: when the window is full again
		exhaustedFor     time.Duration
		remainingAfter   int64 // counted when the exhaustion ends
	}{{
		name: "requests per minute until the retry delay", start: "2026-11-27T15:00:00Z",
		resource: "requests", window: "1m", retryAfter: 45 * time.Second,
		resetAt: "2026-11-27T15:01:55Z", exhaustedFor: 45 * time.Second, // the last call's minute ends later
		remainingAfter: 9, // the first two calls have left the minute; the one at 55 s has not
	}, {
		name: "requests per minute: a delay past the counted minute", start: "2026-11-27T15:00:00Z",
		resource: "requests", window: "1m", retryAfter: 90 * time.Second,
		resetAt: "2026-11-27T15:02:20Z", exhaustedFor: 90 * time.Second,
		remainingAfter: 10,
	}, {
		name: "requests per minute without a delay: a minute", start: "2026-11-27T15:00:00Z",
		resource: "requests", window: "1m",
		resetAt: "2026-11-27T15:01:55Z", exhaustedFor: time.Minute, // the last call's minute ends later
		remainingAfter: 9,
	}, {
		name: "tokens per minute", start: "2026-11-27T15:00:00Z",
		resource: "tokens", window: "1m", retryAfter: 20 * time.Second,
		resetAt: "2026-11-27T15:01:55Z", exhaustedFor: 20 * time.Second,
		remainingAfter: 900, // 15:01:10: the first two calls have left the minute
	}, {
		name: "requests per day until Pacific midnight", start: "2026-11-28T07:00:00Z", // 23:00 PST
		resource: "requests", window: "1d", retryAfter: 47 * time.Second, // a day ignores the minute's delay
		resetAt: "2026-11-28T08:00:00Z", exhaustedFor: 59*time.Minute + 10*time.Second,
		remainingAfter: 250, // a new Pacific day
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// twin sees the same calls but no 429: what was counted.
			clk := newClock(tt.start)
			tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{limit}})
			twin := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{limit}})
			call := func() {
				tr.ObserveCall("gcp.gemini", "m", 100)
				twin.ObserveCall("gcp.gemini", "m", 100)
			}
			call()
			call()
			clk.Add(50 * time.Second)
			tr.ObserveExceeded("gcp.gemini", "m", tt.resource, tt.window, tt.retryAfter)
			clk.Add(5 * time.Second)
			call() // counting goes on while exhausted

			checkExhausted := func(when string) {
				t.Helper()
				states, counted := tr.States(), twin.States()
				for i, s := range states {
					if s.Resource != tt.resource || s.Window != tt.window {
						if s != counted[i] {
							t.Errorf("%s: %s/%s %+v changed, want as counted %+v", when, s.Resource, s.Window, s, counted[i])
						}
						continue
					}
					if s.Remaining != 0 || s.Utilization != 1 || !s.ResetAt.Equal(mustTime(tt.resetAt)) || s.Limit != counted[i].Limit {
						t.Errorf("%s: %+v; want exhausted (remaining 0, utilization 1) until %s", when, s, tt.resetAt)
					}
				}
			}
			checkExhausted("after the 429")
			clk.Add(tt.exhaustedFor - 5*time.Second - time.Nanosecond)
			checkExhausted("just before the window ends")

			clk.Add(time.Nanosecond)
			states := tr.States()
			s := find(t, states, "gcp.gemini", "m", tt.resource, tt.window, "estimate")
			if s.Remaining != tt.remainingAfter {
				t.Errorf("window ended: remaining %d, want %d as counted", s.Remaining, tt.remainingAfter)
			}
			if counted := twin.States(); fmt.Sprint(states) != fmt.Sprint(counted) {
				t.Errorf("window ended: %+v\nwant as counted %+v", states, counted)
			}
		})
	}
}

// TestTrackerExceededIgnored checks that a 429 changes nothing the app set no Limit for:
// the tracker does not invent the provider's limit.
func TestTrackerExceededIgnored(t *testing.T) {
	limits := []quota.Limit{
		{Provider: "gcp.gemini", Model: "gemini-2.5-pro", RequestsPerDay: 100},
		{Provider: "gcp.gemini", Model: "gemini-2.5-flash", RequestsPerMinute: 10, TokensPerMinute: 1000},
	}
	tests := []struct {
		name                    string
		provider                semconv.Provider
		model, resource, window string
	}{
		{"unknown resource", "gcp.gemini", "gemini-2.5-flash", "", "1m"},
		{"unknown window", "gcp.gemini", "gemini-2.5-flash", "requests", "1h"},
		{"no tokens per day in a Limit", "gcp.gemini", "gemini-2.5-flash", "tokens", "1d"},
		{"day not configured", "gcp.gemini", "gemini-2.5-flash", "requests", "1d"},
		{"minute not configured", "gcp.gemini", "gemini-2.5-pro", "requests", "1m"},
		{"model without a Limit", "gcp.gemini", "gemini-2.0-flash", "requests", "1d"},
		{"provider without a Limit", "groq", "llama-3.1-8b-instant", "requests", "1d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock("2026-11-27T15:00:00Z")
			var got alerts
			tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: limits, Horizon: -1, OnAlert: got.add})
			twin := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: limits})
			for _, m := range []string{"gemini-2.5-pro", "gemini-2.5-flash"} {
				tr.ObserveCall("gcp.gemini", m, 100)
				twin.ObserveCall("gcp.gemini", m, 100)
			}
			clk.Add(time.Second)
			tr.ObserveExceeded(tt.provider, tt.model, tt.resource, tt.window, 30*time.Second)
			if states, counted := tr.States(), twin.States(); fmt.Sprint(states) != fmt.Sprint(counted) {
				t.Errorf("states %+v\nwant as counted %+v", states, counted)
			}
			if a := got.take(); len(a) != 0 {
				t.Errorf("alerts %+v, want none", a)
			}
		})
	}
}

// TestTrackerExceededAlerts checks that a 429 fires the quota's alert once, like any
// reading at the threshold, and again only after a reading below it.
func TestTrackerExceededAlerts(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	var got alerts
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Horizon: -1, OnAlert: got.add,
		Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 10, RequestsPerDay: 250}}})
	tr.ObserveCall("gcp.gemini", "m", 0)
	if a := got.take(); len(a) != 0 {
		t.Fatalf("alerts at 1/10: %+v", a)
	}

	steps := []struct {
		name      string
		after     time.Duration
		do        func()
		wantAlert bool
	}{
		{"429", time.Second, func() { tr.ObserveExceeded("gcp.gemini", "m", "requests", "1m", 30*time.Second) }, true},
		{"second 429", time.Second, func() { tr.ObserveExceeded("gcp.gemini", "m", "requests", "1m", 30*time.Second) }, false},
		{"call while exhausted", time.Second, func() { tr.ObserveCall("gcp.gemini", "m", 0) }, false},
		{"call after the window", time.Minute, func() { tr.ObserveCall("gcp.gemini", "m", 0) }, false}, // re-arms
		{"next 429", time.Second, func() { tr.ObserveExceeded("gcp.gemini", "m", "requests", "1m", 0) }, true},
	}
	for _, s := range steps {
		clk.Add(s.after)
		s.do()
		fired := got.take()
		if !s.wantAlert {
			if len(fired) != 0 {
				t.Errorf("%s: alerts %+v, want none", s.name, fired)
			}
			continue
		}
		if len(fired) != 1 {
			t.Fatalf("%s: %d alerts %+v, want 1", s.name, len(fired), fired)
		}
		if st := fired[0].State; st.Resource != "requests" || st.Window != "1m" || st.Source != "estimate" || st.Remaining != 0 || st.Utilization != 1 {
			t.Errorf("%s: alert %+v, want requests/1m exhausted", s.name, st)
		}
	}
}
