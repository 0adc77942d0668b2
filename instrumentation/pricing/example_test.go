package pricing_test

import (
	"fmt"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

func ExampleTable_Cost() {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	u := usage.Usage{InputTokens: 250_000, OutputTokens: 2_000}

	// Over 200K prompt tokens Gemini 2.5 Pro bills its higher tier: 0.25 M x $2.50 + 0.002 M x $15.
	usd, ok := pricing.Default().Cost("gcp.gemini", "gemini-2.5-pro", u, at)
	fmt.Printf("$%.4f priced=%v\n", usd, ok)

	_, ok = pricing.Default().Cost("gcp.gemini", "gemini-9-ultra", u, at)
	fmt.Printf("priced=%v\n", ok)
	// Output:
	// $0.6550 priced=true
	// priced=false
}
