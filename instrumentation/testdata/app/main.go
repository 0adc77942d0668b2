// Command aiusageapp links the instrumentation as an app would: every public
// package, through the API the README shows.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

func main() {
	inst, err := instrumentation.New(
		instrumentation.WithLimits(quota.Limit{Provider: instrumentation.Gemini, Model: "gemini-2.5-flash", RequestsPerDay: 250}),
		instrumentation.WithPrices(pricing.Default()))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: inst.Transport(nil)}
	ctx := instrumentation.WithAttribution(context.Background(), instrumentation.Attribution{UserID: "u1", Action: "summarize"})
	inst.Record(ctx, instrumentation.Call{Provider: instrumentation.Groq, RequestModel: "llama-3.1-8b-instant",
		Usage: &instrumentation.Usage{InputTokens: 10, OutputTokens: 5}, End: time.Now()})
	http.Handle("/quota", inst.QuotaHandler())
	for _, s := range inst.Quota() {
		fmt.Println(quota.Display(s))
	}
	_ = client
	fmt.Println(instrumentation.Version(), semconv.SchemaURL)
}
