package quota_test

import (
	"fmt"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
)

// The one-line form an app's header shows, as the quota JSON's "display" field has it.
func ExampleDisplay() {
	fmt.Println(quota.Display(quota.State{Provider: "groq", Model: "llama-3.1-8b-instant",
		Resource: "requests", Window: "1d", Source: "header", Limit: 14400, Remaining: 13950}))
	fmt.Println(quota.Display(quota.State{Provider: "gcp.gemini", Model: "gemini-2.5-flash",
		Resource: "requests", Window: "1m", Source: "estimate", Limit: 10, Remaining: 7,
		ResetAt: time.Date(2026, 11, 27, 15, 1, 0, 0, time.UTC)}))
	// Output:
	// Groq: 13,950 / 14,400 requests today
	// Gemini: 7 / 10 requests this minute (estimate)
}
