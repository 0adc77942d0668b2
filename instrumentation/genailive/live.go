// Package genailive records Gemini Live sessions of the google.golang.org/genai SDK.
// client.Live.Connect dials a WebSocket with its own dialer, so no http.RoundTripper
// sees the session; Connect here opens it through the SDK and returns a Session that
// passes every call through and records the session as the instrumentation records a
// call: one span (gen_ai.operation.name "live") from connect to Close, a span event per
// turn, and the usage of every turn summed per modality and priced at the Live model's
// rates.
//
// It is its own module so that the core library imports only OpenTelemetry.
package genailive

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Session is a recorded genai Live session: a *genai.Session whose Receive notes each
// turn's usage and whose Close ends the recording. It is safe to Close from another
// goroutine than the one that receives.
type Session struct {
	*genai.Session
	rec *instrumentation.Session

	mu     sync.Mutex
	closed bool
}

// Connect opens a Live session with client.Live.Connect and records it with inst.
// Attribution is read from ctx. A connect that fails is recorded as a failed session.
func Connect(ctx context.Context, inst *instrumentation.Instrumentation, client *genai.Client, model string, config *genai.LiveConnectConfig) (*Session, error) {
	cfg := client.ClientConfig()
	c := instrumentation.Call{
		Provider:     provider(cfg.Backend),
		Operation:    semconv.OperationLive,
		RequestModel: model,
	}
	c.ServerAddress, c.ServerPort = server(cfg)
	_, rec := inst.StartSession(ctx, c)
	s, err := client.Live.Connect(ctx, model, config)
	if err != nil {
		rec.End(instrumentation.ErrorType(err))
		return nil, err
	}
	rec.SetStatusCode(http.StatusSwitchingProtocols) // the WebSocket handshake succeeded
	return &Session{Session: s, rec: rec}, nil
}

// Receive reads the next server message, as genai.Session.Receive does, and records the
// turn usage it carries. The session's recording ends when Receive fails: a normal close
// of the connection ends it as a success, anything else as a failure.
func (s *Session) Receive() (*genai.LiveServerMessage, error) {
	msg, err := s.Session.Receive()
	if err != nil {
		s.end(err)
		return msg, err
	}
	if u := msg.UsageMetadata; u != nil {
		s.rec.Turn(Usage(u))
	}
	return msg, nil
}

// Close closes the session, as genai.Session.Close does, and ends its recording.
func (s *Session) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.Session.Close()
	s.rec.End("")
	return err
}

// end ends the recording after Receive failed with err.
func (s *Session) end(err error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	switch {
	case closed, websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		// The app closed the session, or the server ended it as it should.
		s.rec.End("")
	default:
		s.rec.End(errorType(err))
	}
}

// errorType names a Receive failure: the server's close code ("websocket_1011"), else
// the error's kind.
func errorType(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return "websocket_" + strconv.Itoa(ce.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return instrumentation.ErrorType(err)
}

// provider is the gen_ai.provider.name of a client's backend.
func provider(b genai.Backend) instrumentation.Provider {
	if b == genai.BackendVertexAI {
		return semconv.ProviderVertexAI
	}
	return instrumentation.Gemini
}

// server is the host and port the session connects to.
func server(cfg genai.ClientConfig) (string, int) {
	host, port := "generativelanguage.googleapis.com", 443
	if cfg.Backend == genai.BackendVertexAI {
		host = "aiplatform.googleapis.com"
		if cfg.Location != "" && cfg.Location != "global" {
			host = cfg.Location + "-aiplatform.googleapis.com"
		}
	}
	u, err := url.Parse(cfg.HTTPOptions.BaseURL)
	if err != nil || u.Host == "" {
		return host, port
	}
	host = u.Hostname()
	switch p := u.Port(); {
	case p != "":
		port, _ = strconv.Atoi(p)
	case u.Scheme == "http" || u.Scheme == "ws":
		port = 80
	}
	return host, port
}
