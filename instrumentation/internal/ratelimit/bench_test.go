package ratelimit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

// benchKey mirrors the tracker's map key, for the baseline that does what any design
// with a lock and a map must do.
type benchKey struct{ provider, model string }

// BenchmarkTrackerObserve compares each observation against baselines in the same run:
// a bare mutex, and a mutex plus a clock read plus a map lookup (the floor of this design).
func BenchmarkTrackerObserve(b *testing.B) {
	h := ratelimit.ParseHeaders(groqHeaders("14400", "13950", "2m59.56s", "6000", "5400", "7.66s"))
	limits := []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 1 << 40, RequestsPerDay: 1 << 40, TokensPerMinute: 1 << 40}}

	b.Run("baseline=mutex", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock() //nolint:staticcheck // the empty critical section is the point
		}
	})
	b.Run("baseline=mutex+now+map", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		m := map[benchKey]*time.Time{{"groq", "llama-3.1-8b-instant"}: new(time.Time)}
		for b.Loop() {
			now := time.Now()
			mu.Lock()
			*m[benchKey{"groq", "llama-3.1-8b-instant"}] = now
			mu.Unlock()
		}
	})
	b.Run("headers", func(b *testing.B) {
		b.ReportAllocs()
		tr := ratelimit.NewTracker(ratelimit.Options{OnAlert: func(quota.Alert) {}})
		for b.Loop() {
			tr.ObserveHeaders("groq", "llama-3.1-8b-instant", h)
		}
	})
	b.Run("call/estimate", func(b *testing.B) {
		b.ReportAllocs()
		tr := ratelimit.NewTracker(ratelimit.Options{Limits: limits, OnAlert: func(quota.Alert) {}})
		for b.Loop() {
			tr.ObserveCall("gcp.gemini", "gemini-2.5-flash", 1200)
		}
	})
	b.Run("call/no-limit", func(b *testing.B) {
		b.ReportAllocs()
		tr := ratelimit.NewTracker(ratelimit.Options{Limits: limits})
		for b.Loop() {
			tr.ObserveCall("groq", "llama-3.1-8b-instant", 1200)
		}
	})
	b.Run("parallel/baseline=mutex+now+map", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		m := map[benchKey]*time.Time{{"groq", "llama-3.1-8b-instant"}: new(time.Time)}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				now := time.Now()
				mu.Lock()
				*m[benchKey{"groq", "llama-3.1-8b-instant"}] = now
				mu.Unlock()
			}
		})
	})
	b.Run("parallel/headers", func(b *testing.B) {
		b.ReportAllocs()
		tr := ratelimit.NewTracker(ratelimit.Options{})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tr.ObserveHeaders("groq", "llama-3.1-8b-instant", h)
			}
		})
	})
}

// BenchmarkParseHeaders compares parsing the recorded header set with only looking the
// seven headers up.
func BenchmarkParseHeaders(b *testing.B) {
	h := groqHeaders("14400", "14398", "10.332999999s", "30000", "29987", "26ms")
	h.Set("Retry-After", "2")
	names := []string{
		"X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests",
		"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens", "Retry-After",
	}
	b.Run("baseline=lookup", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for _, k := range names {
				n += len(h[k])
			}
		}
		_ = n
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ratelimit.ParseHeaders(h)
		}
	})
}

// BenchmarkTrackerStates measures what a polling UI costs: a dozen tracked quotas.
func BenchmarkTrackerStates(b *testing.B) {
	tr := ratelimit.NewTracker(ratelimit.Options{Limits: []quota.Limit{{Provider: "gcp.gemini", RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 250000}}})
	for _, m := range []string{"a", "b", "c"} {
		tr.ObserveHeaders("groq", m, ratelimit.ParseHeaders(groqHeaders("14400", "13950", "6s", "6000", "5400", "1s")))
		tr.ObserveCall("gcp.gemini", m, 100)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.States()
	}
}
