package instrumentation_test

import (
	"context"
	"log"
	"net/http"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

// Link the instrumentation under any SDK by giving it an *http.Client whose
// transport is inst.Transport.
func Example() {
	inst, err := instrumentation.New()
	if err != nil {
		log.Fatal(err)
	}
	httpClient := &http.Client{Transport: inst.Transport(nil)}
	_ = httpClient // openai.NewClient(option.WithHTTPClient(httpClient), ...) or genai.ClientConfig{HTTPClient: httpClient}
}

// Attribute calls to a user, project and action through the context.
func ExampleWithAttribution() {
	ctx := instrumentation.WithAttribution(context.Background(),
		instrumentation.Attribution{UserID: "user-1", ProjectID: "atlas", Action: "summarize"})
	_ = ctx // pass ctx to the SDK call
}

// Gemini sends no rate-limit headers: give the limits of your tier, get an
// alert at 90 % and serve the state to the app's UI.
func ExampleWithLimits() {
	inst, err := instrumentation.New(
		instrumentation.WithLimits(quota.Limit{Provider: instrumentation.Gemini, Model: "gemini-2.5-flash", RequestsPerMinute: 10, RequestsPerDay: 250}),
		instrumentation.WithQuotaAlert(0.9, func(a quota.Alert) {
			log.Printf("%s %s: %s per %s at %.0f%%", a.State.Provider, a.State.Model, a.State.Resource, a.State.Window, 100*a.State.Utilization)
		}))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/quota", inst.QuotaHandler())
}
