package ratelimit_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

// A header widget: Groq reports its quota in every response; Gemini's is counted
// against the free-tier limits the app configured.
func ExampleTracker() {
	clock := func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }
	tracker := ratelimit.NewTracker(ratelimit.Options{
		Now:    clock,
		Limits: []quota.Limit{{Provider: "gcp.gemini", Model: "gemini-2.5-flash", RequestsPerDay: 250}},
		OnAlert: func(a quota.Alert) {
			fmt.Printf("alert: %s %s at %.0f%%\n", a.State.Provider, a.State.Resource, 100*a.State.Utilization)
		},
	})

	resp := http.Header{}
	resp.Set("x-ratelimit-limit-requests", "14400")
	resp.Set("x-ratelimit-remaining-requests", "13950")
	resp.Set("x-ratelimit-reset-requests", "2m59.56s")
	resp.Set("x-ratelimit-limit-tokens", "6000")
	resp.Set("x-ratelimit-remaining-tokens", "480")
	resp.Set("x-ratelimit-reset-tokens", "7.66s")
	tracker.ObserveHeaders("groq", "llama-3.1-8b-instant", ratelimit.ParseHeaders(resp))
	tracker.ObserveCall("gcp.gemini", "gemini-2.5-flash", 1200)

	for _, s := range tracker.States() {
		fmt.Println(quota.Display(s))
	}
	// Output:
	// alert: groq tokens at 92%
	// Gemini: 249 / 250 requests today (estimate)
	// Groq: 13,950 / 14,400 requests today
	// Groq: 480 / 6,000 tokens this minute
}
