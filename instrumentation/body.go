package instrumentation

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// maxGzipped bounds the compressed bytes kept to parse a gzip body the app
// reads undecoded; beyond it the body is passed on but not parsed further.
const maxGzipped = 4 << 20

// attempt is one recorded HTTP attempt and, once a response arrived, the
// response body the app reads. Each Read passes the base body's bytes on
// unchanged and feeds them to the parser; the span ends and the metric points
// are recorded exactly once, at EOF, a read error, Close or context cancel,
// whichever comes first.
type attempt struct {
	inst *Instrumentation
	ctx  context.Context
	span trace.Span
	call record

	body   io.ReadCloser // the base transport's response body
	stop   func() bool   // unregisters the context-cancel callback
	parser *response.Parser
	// gzipped: the app reads gzip wire bytes; they are kept in gz and
	// decoded for the parser when the body ends.
	gzipped bool
	gz      bytes.Buffer
	usage   usage.Usage // storage for call.Usage
	// resultsFile names the batch results file the body is, if it is one.
	resultsFile string

	spanOptions spanOptions // storage for call.spanOptions

	// Voice (voice.go): the speech-to-text upload observed as it is sent, and the
	// characters of a text-to-speech input.
	upload          *upload
	inputCharacters int64

	mu   sync.Mutex // serialises the parser and finish against Close and cancel from other goroutines
	done bool
}

// Read reads from the base body and observes what was read.
func (a *attempt) Read(p []byte) (int, error) {
	n, err := a.body.Read(p)
	if n > 0 || err != nil {
		a.observe(p[:n], err)
	}
	return n, err
}

// WriteTo lets io.Copy users keep the base body's WriterTo, if it has one,
// while every byte written is observed.
func (a *attempt) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := a.body.(io.WriterTo); ok {
		n, err := wt.WriteTo(observingWriter{a: a, w: w})
		if err == nil {
			err = io.EOF // WriteTo returns nil at the end of the body
		}
		a.observe(nil, err)
		if err == io.EOF {
			err = nil
		}
		return n, err
	}
	n, err := io.Copy(w, (*readerOnly)(a))
	return n, err
}

// observingWriter observes the bytes a base body's WriteTo writes.
type observingWriter struct {
	a *attempt
	w io.Writer
}

func (o observingWriter) Write(p []byte) (int, error) {
	o.a.observe(p, nil)
	return o.w.Write(p)
}

// readerOnly hides attempt's WriteTo from io.Copy, which would recurse. It is the
// attempt itself, so passing it to io.Copy allocates nothing.
type readerOnly attempt

func (r *readerOnly) Read(p []byte) (int, error) { return (*attempt)(r).Read(p) }

// Close closes the base body. A body closed before EOF records the call as
// incomplete.
func (a *attempt) Close() error {
	err := a.body.Close()
	a.mu.Lock()
	a.finishLocked(false, nil)
	a.mu.Unlock()
	return err
}

// canceled runs when the request context is canceled before the body ended.
func (a *attempt) canceled() {
	a.mu.Lock()
	a.finishLocked(false, a.ctx.Err())
	a.mu.Unlock()
}

// observe feeds p to the parser and finishes the attempt when err ends the body.
func (a *attempt) observe(p []byte, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		return
	}
	if len(p) > 0 {
		if a.call.Stream && a.call.TimeToFirstChunk == 0 { // recorded for streams only
			a.call.TimeToFirstChunk = max(time.Since(a.call.Start), time.Nanosecond)
		}
		if !a.gzipped {
			_, _ = a.parser.Write(p)
		} else if a.gz.Len()+len(p) <= maxGzipped {
			a.gz.Write(p)
		}
	}
	switch {
	case err == io.EOF:
		a.finishLocked(true, nil)
	case err != nil:
		a.finishLocked(false, err)
	}
}

// finish is finishLocked for callers that hold no lock.
func (a *attempt) finish(complete bool, err error) {
	a.mu.Lock()
	a.finishLocked(complete, err)
	a.mu.Unlock()
}

// finishLocked completes the call from the parsed response and records it,
// once. err is the read error or context cause that ended the body early.
func (a *attempt) finishLocked(complete bool, err error) {
	if a.done {
		return
	}
	a.done = true
	if a.stop != nil {
		a.stop()
	}
	c := &a.call
	c.End = time.Now()
	if a.gzipped {
		a.gunzip()
	}
	res := a.parser.Result(complete)
	a.apply(&res)
	if res.Batch != nil {
		a.inst.recordBatchResults(a.ctx, c, res.Batch, a.resultsFile)
	}
	a.applyVoice(&res)
	// The body ended early. A read error says more than the truncation it
	// caused; a cancel after the whole response arrived is the app leaving,
	// not the call failing.
	if err != nil && (c.ErrorType == "" || c.ErrorType == res.ParseError) &&
		(res.ParseError != "" || !errors.Is(err, context.Canceled)) {
		c.ErrorType = transportErrorType(err)
	}
	a.inst.end(a.ctx, a.span, c)
	parsers.Put(a.parser) // done: nothing reads or writes it any more
	a.parser = nil
}

// parsers keeps response parsers and the buffers they grew from call to call.
var parsers = sync.Pool{New: func() any { return new(response.Parser) }}

// getParser returns a parser from the pool, ready for a response.
func getParser(d response.Dialect, status int, contentType string) *response.Parser {
	p := parsers.Get().(*response.Parser)
	p.Reset(d, status, contentType)
	return p
}

// gunzip feeds the parser the decoded gzip body.
func (a *attempt) gunzip() {
	zr, err := gzip.NewReader(&a.gz)
	if err != nil {
		return
	}
	_, _ = io.Copy(a.parser, io.LimitReader(zr, 4*maxGzipped))
}

// apply copies what the parser found into the call.
func (a *attempt) apply(r *response.Result) {
	c := &a.call
	c.ResponseModel, c.ResponseID, c.FinishReasons = r.Model, r.ID, r.FinishReasons
	if r.HasUsage {
		a.usage = r.Usage
		c.Usage = &a.usage
	}
	if r.ServiceTier != "" {
		c.ResponseServiceTier = r.ServiceTier
	}
	c.batch = r.Batch
	c.Breakdown = r.Breakdown
	switch e := r.Error; {
	case e != nil:
		c.ErrorCode, c.errorMessage = errorCode(e), e.Message
		if c.StatusCode >= 400 {
			c.ErrorType = statusText(c.StatusCode)
		} else {
			c.ErrorType = errorTypeStream
		}
		if c.StatusCode == 429 || e.Status == 429 {
			c.Exceeded = exceededOf(e)
		}
	case c.StatusCode >= 400:
		c.ErrorType = statusText(c.StatusCode)
		if c.StatusCode == 429 {
			c.Exceeded = &Exceeded{}
		}
	case r.ParseError != "":
		c.ErrorType = r.ParseError
	}
	if c.Exceeded != nil && c.Exceeded.Resource == "" {
		// Groq's 429 names its limit in type; headers also say which window is spent.
		c.Exceeded.Resource, c.Exceeded.Window = exhaustedResource(c)
	}
}

// errorTypeStream is error.type of a call whose 2xx stream carried an error event.
const errorTypeStream = "stream_error"

// errorCode is the provider's most specific error code: Groq's code
// ("rate_limit_exceeded"), else its type or Gemini's status ("RESOURCE_EXHAUSTED").
func errorCode(e *response.APIError) string {
	if e.Code != "" && !isDigits(e.Code) {
		return e.Code
	}
	if e.Type != "" {
		return e.Type
	}
	return e.Code
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// exceededOf describes the quota a 429's error body names.
func exceededOf(e *response.APIError) *Exceeded {
	x := &Exceeded{Resource: e.Resource, Window: e.Window, RetryDelay: e.RetryDelay}
	if len(e.Quota) > 0 {
		q := e.Quota[0]
		x.QuotaID, x.QuotaMetric, x.QuotaValue = q.ID, q.Metric, q.Value
	}
	return x
}

// exhaustedResource infers the spent quota of a 429 from Groq's headers: the
// window whose remaining count is zero.
func exhaustedResource(c *record) (resource, window string) {
	h := &c.rateLimit
	switch {
	case h.HasRequests && h.RequestsRemaining <= 0:
		return semconv.ResourceRequests, semconv.WindowDay
	case h.HasTokens && h.TokensRemaining <= 0:
		return semconv.ResourceTokens, semconv.WindowMinute
	case h.HasAudioSeconds && h.AudioSecondsRemaining <= 0:
		return semconv.ResourceAudioSeconds, h.AudioWindow
	}
	return "", ""
}

// statusText is error.type of an HTTP error status: the code as text.
func statusText(code int) string { return strconv.Itoa(code) }
