package pricing_test

import (
	"fmt"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

func ExampleTable_Bill() {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	// Over 200K prompt tokens Gemini 2.5 Pro bills the whole call at its higher rates:
	// 0.2 M uncached x $2.50 + 0.05 M cached x $0.25 + 0.002 M out x $15.
	u := usage.Usage{InputTokens: 250_000, CacheReadInputTokens: 50_000, OutputTokens: 2_000}
	b := pricing.Default().Bill("gcp.gemini", "gemini-2.5-pro", "", &u, at)
	fmt.Printf("$%.4f %s\n", b.USD, b.Status)

	// A 3-second transcription is billed at Whisper's 10-second minimum.
	u = usage.Usage{AudioSeconds: 3}
	b = pricing.Default().Bill("groq", "whisper-large-v3", "", &u, at)
	fmt.Printf("%v s billed, $%.6f %s\n", b.Quantity[pricing.AudioBilledSeconds], b.USD, b.Status)

	// A model the table does not know is unpriced, not free.
	b = pricing.Default().Bill("gcp.gemini", "gemini-9-ultra", "", &u, at)
	fmt.Println(b.Status)
	// Output:
	// $0.5425 priced
	// 10 s billed, $0.000308 priced
	// unpriced
}
