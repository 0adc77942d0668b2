package instrumentation

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Session records a long-lived call that no http.RoundTripper sees, such as a Gemini
// Live session over WebSocket: one span from StartSession to End, a span event per turn,
// and the turns' usage summed and priced at End as one call's (metric points included).
// It is safe for concurrent use. Package instrumentation/genailive records genai Live
// sessions with it.
type Session struct {
	inst *Instrumentation
	ctx  context.Context
	span trace.Span

	mu    sync.Mutex
	rec   record
	usage Usage
	turns int
	ended bool
}

// StartSession starts recording a session described by c: its provider, operation
// (semconv.OperationLive), request model and server; c.Start is when it began (zero:
// now). Attribution is read from ctx. The context returned carries the session's span.
func (i *Instrumentation) StartSession(ctx context.Context, c Call) (context.Context, *Session) {
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	c.End, c.Usage = time.Time{}, nil
	s := &Session{inst: i, rec: record{Call: c}}
	s.ctx, s.span = i.start(ctx, &s.rec)
	return s.ctx, s
}

// Turn records one turn's usage: a span event (semconv.EventLiveTurn) with the turn's
// units, added to the session's sum. A turn after End is ignored.
func (s *Session) Turn(u Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.turns++
	s.usage.Add(&u)
	if s.span.IsRecording() {
		s.span.AddEvent(semconv.EventLiveTurn, trace.WithAttributes(u.Attributes(nil)...))
	}
}

// SetStatusCode records the HTTP status that opened the session: 101 (Switching
// Protocols) once a WebSocket handshake succeeded.
func (s *Session) SetStatusCode(code int) {
	s.mu.Lock()
	if !s.ended {
		s.rec.StatusCode = code
	}
	s.mu.Unlock()
}

// SetResponseModel names the model that served the session, when the provider says so.
func (s *Session) SetResponseModel(model string) {
	s.mu.Lock()
	if !s.ended {
		s.rec.ResponseModel = model
	}
	s.mu.Unlock()
}

// End ends the session now. errorType is its failure reason in error.type's terms
// ("canceled", "timeout", a Go error type), or "" when it ended normally. A session
// that reported no usage in any turn is unpriced, never free. Later calls do nothing.
func (s *Session) End(errorType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.ended = true
	c := &s.rec
	c.End, c.ErrorType = time.Now(), errorType
	if s.turns > 0 {
		c.Usage = &s.usage
	}
	s.inst.end(s.ctx, s.span, c)
}

// ErrorType names err in error.type's terms for Session.End: "canceled", "timeout",
// "unexpected_eof", else its Go type; "" for nil.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	return transportErrorType(err)
}
