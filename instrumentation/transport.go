package instrumentation

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Transport returns an http.RoundTripper that records the provider calls made
// through base (http.DefaultTransport when nil) and passes every other request
// to base untouched.
func (i *Instrumentation) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{inst: i, base: base}
}

type transport struct {
	inst *Instrumentation
	base http.RoundTripper
}

// RoundTrip records one HTTP attempt. The base transport's response and error
// are returned as they are, except that a recorded response's Body is wrapped
// to observe the bytes the app reads.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p, ok := t.inst.providerOf(req.URL.Host)
	if !ok {
		return t.base.RoundTrip(req)
	}
	rt, ok := matchPath(p, req.URL)
	if !ok {
		rt, ok = matchSurface(p, req.Method, req.URL)
	}
	if !ok {
		return t.base.RoundTrip(req)
	}
	a := &attempt{inst: t.inst}
	c := &a.call
	c.spanOptions = &a.spanOptions
	c.Provider, c.Operation, c.RequestModel, c.Stream = rt.provider, rt.operation, rt.model, rt.stream
	c.ServerAddress, c.ServerPort = serverAddress(req)
	c.Start = time.Now()

	// Not billed itself: recorded as priced at 0; what a batch answers is billed on
	// its own records.
	c.free, a.resultsFile = semconv.Unbilled(rt.operation), rt.resultsFile
	if p == VertexAI {
		c.RequestServiceTier = vertexRequestTier(req.Header)
	}

	var replay requestBody
	// A speech-to-text upload is observed as it is sent, never read ahead (upload.go).
	if rt.dialect == response.Transcription {
		a.upload = newUpload(req)
	}
	if rt.fromBody || rt.tierInBody || (t.inst.content && rt.dialect != response.Transcription) {
		speech := rt.dialect == response.Speech
		fields, r, body := requestFields(req, t.inst.content || speech)
		if rt.fromBody {
			c.RequestModel, c.Stream = fields.model, fields.stream
		}
		if fields.tier != "" {
			c.RequestServiceTier = fields.tier
		}
		if speech {
			a.inputCharacters = inputCharacters(body)
		}
		if body != nil && t.inst.content {
			c.inputMessages, c.systemInstructions = inputMessages(rt.dialect, body)
		}
		replay = r
	}
	ctx, span := t.inst.start(req.Context(), c)
	a.ctx, a.span = ctx, span
	out := req.WithContext(ctx)
	if replay.body != nil {
		out.Body, out.GetBody = replay.body, replay.getBody
	}
	if a.upload != nil {
		a.upload.wrap(out, req)
	}
	if err := t.inst.refuse(ctx, span, c, out); err != nil {
		return nil, err
	}

	resp, err := t.base.RoundTrip(out)
	if err != nil {
		c.End = time.Now()
		c.ErrorType = transportErrorType(err)
		t.inst.end(ctx, span, c)
		return resp, err
	}
	c.StatusCode = resp.StatusCode
	c.rateLimit = ratelimit.ParseHeaders(resp.Header)
	if v := resp.Header.Get(geminiServiceTierHeader); v != "" {
		c.ResponseServiceTier = response.GeminiTier(v)
	}
	a.parser = getParser(rt.dialect, resp.StatusCode, resp.Header.Get("Content-Type"))
	if !resp.Uncompressed && resp.Header.Get("Content-Encoding") == "gzip" && rt.dialect != response.Speech {
		a.gzipped = true // the app set Accept-Encoding itself and reads the wire bytes
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		a.finish(true, nil)
		return resp, nil
	}
	a.body = resp.Body
	if done := ctx.Done(); done != nil {
		a.stop = context.AfterFunc(ctx, a.canceled)
	}
	resp.Body = a
	return resp, nil
}

// CloseIdleConnections closes the base transport's idle connections, so that
// http.Client.CloseIdleConnections reaches through the wrapper.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// serverAddress returns server.address and server.port of req. The URL is
// never recorded: its query may hold an API key.
func serverAddress(req *http.Request) (string, int) {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		if req.URL.Scheme == "http" {
			return host, 80
		}
		return host, 443
	}
	n, _ := strconv.Atoi(port)
	return host, n
}

// transportErrorType names a failure to get or read a response in a few
// values: "canceled", "timeout", "unexpected_eof", else the error's Go type
// ("*net.OpError"), or "_OTHER" when that type says nothing.
func transportErrorType(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected_eof"
	}
	switch t := reflect.TypeOf(err).String(); t {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
		return "_OTHER"
	default:
		return t
	}
}
