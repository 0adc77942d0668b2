package instrumentation

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Attribution says on whose behalf a provider call is made. Every span of a
// call made with a context carrying it gets user.id, aiusage.project.id and
// aiusage.action.type.
type Attribution struct {
	UserID    string // end user, recorded as user.id
	ProjectID string // the app's project or tenant, aiusage.project.id
	Action    string // what the call is for ("summarize", "chat-reply"), aiusage.action.type
}

type attributionKey struct{}

// WithAttribution returns a copy of ctx carrying a. Fields left empty keep the
// value of an Attribution already in ctx, so a request handler can set the
// user and project and a deeper function the action.
func WithAttribution(ctx context.Context, a Attribution) context.Context {
	if prev, ok := AttributionFrom(ctx); ok {
		if a.UserID == "" {
			a.UserID = prev.UserID
		}
		if a.ProjectID == "" {
			a.ProjectID = prev.ProjectID
		}
		if a.Action == "" {
			a.Action = prev.Action
		}
	}
	return context.WithValue(ctx, attributionKey{}, a)
}

// AttributionFrom returns the Attribution in ctx, if any.
func AttributionFrom(ctx context.Context) (Attribution, bool) {
	a, ok := ctx.Value(attributionKey{}).(Attribution)
	return a, ok
}

// appendAttributes appends a's non-empty fields as span attributes.
func (a Attribution) appendAttributes(attrs []attribute.KeyValue) []attribute.KeyValue {
	if a.UserID != "" {
		attrs = append(attrs, semconv.UserID.String(a.UserID))
	}
	if a.ProjectID != "" {
		attrs = append(attrs, semconv.ProjectID.String(a.ProjectID))
	}
	if a.Action != "" {
		attrs = append(attrs, semconv.ActionType.String(a.Action))
	}
	return attrs
}
