package instrumentation

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// QuotaExhaustedError is what the transport returns, instead of sending the request,
// for a call the quota guard (WithQuotaGuard) refused because the provider had just
// said it could not succeed. Test for it with errors.As: SDKs and net/http wrap it.
type QuotaExhaustedError struct {
	Provider Provider
	Model    string
	// Resource and Window name the quota that is used up (semconv.ResourceRequests,
	// semconv.WindowDay, ...).
	Resource, Window string
	// Source is how the guard knows: semconv.SourceHeader (the provider's rate-limit
	// headers said none is left), quota.SourceRetryAfter (a 429's retry delay is still
	// running) or semconv.SourceEstimate (the local count, with quota.Guard.Estimates).
	Source string
	// ResetAt is when the quota has room again: retrying before then is refused.
	ResetAt time.Time
}

func (e *QuotaExhaustedError) Error() string {
	return fmt.Sprintf("aiusage quota guard: %s %s: %s quota per %s used up until %s (%s); the call was not sent",
		e.Provider, e.Model, e.Resource, e.Window, e.ResetAt.UTC().Format(time.RFC3339), e.Source)
}

// refuse applies the quota guard to c before it is sent. When the guard refuses, it
// ends span as a call that failed with error.type "quota_guard", closes the request
// body (a RoundTripper always does) and returns the error for the app.
func (i *Instrumentation) refuse(ctx context.Context, span trace.Span, c *record, req *http.Request) error {
	if i.guard == nil {
		return nil
	}
	model := c.RequestModel
	r, refused := i.tracker.Refuse(c.Provider, model, *i.guard)
	if !refused {
		return nil
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	c.End = time.Now()
	c.ErrorType = semconv.ErrorTypeQuotaGuard
	i.end(ctx, span, c)
	return &QuotaExhaustedError{Provider: c.Provider, Model: model,
		Resource: r.Resource, Window: r.Window, Source: r.Source, ResetAt: r.Until}
}
