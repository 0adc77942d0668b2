package instrumentation

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// testClock is a settable quota clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingServer answers every request with reply and counts what reached it.
func countingServer(t *testing.T, r reply) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	body := readTestdata(t, r.file)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		for k, v := range r.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(r.status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// closeTracker is a request body that records being closed.
type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (b *closeTracker) Close() error { b.closed.Store(true); return nil }

// call posts body to url and returns the response body and the error the app sees.
func guardedCall(t *testing.T, c *http.Client, url, body string) (*closeTracker, error) {
	t.Helper()
	rb := &closeTracker{Reader: strings.NewReader(body)}
	req, err := http.NewRequest(http.MethodPost, url, rb)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	return rb, err
}

func TestQuotaGuard(t *testing.T) {
	start := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	groq429 := reply{file: "groq_429.json", status: 429, header: map[string]string{
		"Content-Type": "application/json", "retry-after": "87",
		"x-ratelimit-limit-requests": "1000", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "24h0m0s",
		"x-ratelimit-limit-tokens": "8000", "x-ratelimit-remaining-tokens": "8000", "x-ratelimit-reset-tokens": "0s",
	}}
	gemini429 := reply{file: "gemini_429.json", status: 429, header: map[string]string{"Content-Type": "application/json"}}
	groqChat := reply{file: "groq_chat.json", status: 200, header: groqHeaders}
	const groqBody = `{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`

	tests := []struct {
		name     string
		reply    reply
		provider Provider
		opts     []Option
		wait     time.Duration // between the first call and the second
		refused  bool
		resource string
		source   string
		resetIn  time.Duration // from the second call
	}{
		{"off by default", groq429, Groq, nil, 0, false, "", "", 0},
		{"Groq 429: the longer of the retry delay and the first request back", groq429, Groq,
			[]Option{WithQuotaGuard(quota.Guard{})}, time.Second, true, semconv.ResourceRequests, quota.SourceRetryAfter, 85400 * time.Millisecond},
		{"Groq 429, wait over", groq429, Groq, []Option{WithQuotaGuard(quota.Guard{MaxAge: 5 * time.Minute})}, 88 * time.Second, false, "", "", 0},
		{"Groq 429, stale", groq429, Groq, []Option{WithQuotaGuard(quota.Guard{})}, 61 * time.Second, false, "", "", 0},
		{"Gemini 429 retry delay", gemini429, Gemini, []Option{WithQuotaGuard(quota.Guard{})}, 7 * time.Second, true, semconv.ResourceRequests, quota.SourceRetryAfter, 40 * time.Second},
		{"Gemini 429 retry delay over", gemini429, Gemini, []Option{WithQuotaGuard(quota.Guard{})}, 47 * time.Second, false, "", "", 0},
		{"a success refuses nothing", groqChat, Groq, []Option{WithQuotaGuard(quota.Guard{Estimates: true})}, 0, false, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reached := countingServer(t, tt.reply)
			clk := &testClock{t: start}
			h := newHarness(t, append([]Option{WithHost(hostOf(t, srv.URL), tt.provider), WithQuotaClock(clk.now)}, tt.opts...)...)
			c := &http.Client{Transport: h.inst.Transport(nil)}
			url, body := srv.URL+"/openai/v1/chat/completions", groqBody
			if tt.provider == Gemini {
				url, body = srv.URL+"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`
			}
			if _, err := guardedCall(t, c, url, body); err != nil {
				t.Fatalf("first call: %v", err)
			}
			clk.add(tt.wait)
			rb, err := guardedCall(t, c, url, body)
			var qe *QuotaExhaustedError
			if refused := errors.As(err, &qe); refused != tt.refused {
				t.Fatalf("second call: error %v, want refused %v", err, tt.refused)
			}
			if !tt.refused {
				if err != nil || reached.Load() != 2 {
					t.Errorf("second call: %v, %d requests reached the provider, want 2", err, reached.Load())
				}
				return
			}
			if reached.Load() != 1 {
				t.Errorf("%d requests reached the provider; a refused one must not", reached.Load())
			}
			if !rb.closed.Load() {
				t.Error("the refused request's body was not closed")
			}
			if in := qe.ResetAt.Sub(clk.now()); qe.Resource != tt.resource || qe.Source != tt.source || (in-tt.resetIn).Abs() > 500*time.Millisecond || qe.Provider != tt.provider {
				t.Errorf("error %+v: reset in %s; want %s from %s in %s", qe, in, tt.resource, tt.source, tt.resetIn)
			}
			spans := h.spans.GetSpans()
			if len(spans) != 2 {
				t.Fatalf("%d spans, want the call and the refusal", len(spans))
			}
			wantAttrs(t, attrs(spans[1]), map[attribute.Key]any{
				semconv.ErrorType:              semconv.ErrorTypeQuotaGuard,
				semconv.HTTPResponseStatusCode: nil,
				semconv.GenAIProviderName:      string(tt.provider),
			})
		})
	}
}

// TestQuotaGuardEstimates checks that a used-up estimate refuses only when configured.
func TestQuotaGuardEstimates(t *testing.T) {
	srv, reached := countingServer(t, reply{file: "gemini_generate.json", status: 200, header: map[string]string{"Content-Type": "application/json"}})
	for _, g := range []quota.Guard{{}, {Estimates: true}} {
		reached.Store(0)
		h := newHarness(t, WithHost(hostOf(t, srv.URL), Gemini), WithQuotaGuard(g),
			WithLimits(quota.Limit{Provider: Gemini, RequestsPerMinute: 1}))
		c := &http.Client{Transport: h.inst.Transport(nil)}
		url := srv.URL + "/v1beta/models/gemini-2.5-flash:generateContent"
		if _, err := guardedCall(t, c, url, `{}`); err != nil {
			t.Fatal(err)
		}
		_, err := guardedCall(t, c, url, `{}`)
		var qe *QuotaExhaustedError
		if errors.As(err, &qe) != g.Estimates {
			t.Errorf("guard %+v: second call's error %v", g, err)
		}
		if g.Estimates && (qe.Source != semconv.SourceEstimate || qe.Window != semconv.WindowMinute) {
			t.Errorf("refusal %+v", qe)
		}
	}
}

func TestQuotaGuardOptions(t *testing.T) {
	for _, o := range []Option{WithQuotaGuard(quota.Guard{MaxAge: -time.Second}), WithQuotaClock(nil), WithExhaustionHorizon(-time.Second)} {
		if _, err := New(o); err == nil {
			t.Errorf("New accepted a bad option")
		}
	}
}

// TestForecastGauges checks the gauges that say when a window runs out and resets.
func TestForecastGauges(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)}
	h := newHarness(t, WithQuotaClock(clk.now),
		WithLimits(quota.Limit{Provider: Gemini, RequestsPerMinute: 100, RequestsPerDay: 200_000}))
	for range 600 { // 2 calls a second for 5 minutes: the minute window overflows, the day lasts past midnight
		h.inst.Record(t.Context(), Call{Provider: Gemini, RequestModel: "m", StatusCode: 200})
		clk.add(500 * time.Millisecond)
	}
	minute, ok := quotaPoint[float64](t, h, semconv.MetricRateLimitTimeToExhaustion, "requests", "1m", "estimate")
	if !ok || minute != 0 {
		t.Errorf("minute window (120 of 100 used): time to exhaustion %v (%v), want 0", minute, ok)
	}
	day, ok := quotaPoint[float64](t, h, semconv.MetricRateLimitTimeToExhaustion, "requests", "1d", "estimate")
	if !ok || !math.IsInf(day, 1) {
		t.Errorf("day window: time to exhaustion %v (%v), want +Inf", day, ok)
	}
	reset, ok := quotaPoint[float64](t, h, semconv.MetricRateLimitTimeToReset, "requests", "1d", "estimate")
	if want := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC).Sub(clk.now()).Seconds(); !ok || math.Abs(reset-want) > 1e-6 { // to Pacific midnight
		t.Errorf("day window: time to reset %v (%v), want %v", reset, ok, want)
	}
}
