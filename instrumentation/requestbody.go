package instrumentation

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/aiusage/aiusage/instrumentation/internal/intern"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
	"github.com/aiusage/aiusage/instrumentation/internal/response"
)

// maxRequestPeek bounds how much of a request body is read to find the model.
// A larger body is still sent whole; only its model may go unrecorded.
const maxRequestPeek = 16 << 20

// peekBuffers holds buffers for reading copies of request bodies (GetBody).
var peekBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge request from pinning memory in the pool.
const maxPooledBuffer = 1 << 20

// requestBody replaces a request body that could be read only once.
type requestBody struct {
	body    io.ReadCloser
	getBody func() (io.ReadCloser, error) // nil when the body was too large to keep
}

// requestJSON is what the instrumentation reads from a JSON request body.
type requestJSON struct {
	model  string
	stream bool
	// tier is the service tier asked for, a semconv.ServiceTier* value; "" when the
	// body names none, or one that lets the provider choose ("auto").
	tier string
}

// requestFields reads the model, stream flag and service tier of a JSON request,
// and returns the body read when keep is set (for content recording). It reads
// a copy of the body when req has GetBody; otherwise it reads the body itself
// and returns a replacement that sends the same bytes, so the server receives
// exactly what it would have without us.
func requestFields(req *http.Request, keep bool) (fields requestJSON, replay requestBody, body []byte) {
	if req.Body == nil || req.Body == http.NoBody {
		return fields, replay, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return fields, replay, nil
		}
		buf := peekBuffers.Get().(*bytes.Buffer)
		if req.ContentLength > 0 && req.ContentLength <= maxRequestPeek {
			_, _ = buf.ReadFrom(rc) // the length is known and small enough
		} else {
			_, _ = buf.ReadFrom(io.LimitReader(rc, maxRequestPeek))
		}
		_ = rc.Close()
		fields = jsonFields(buf.Bytes())
		if keep {
			body = bytes.Clone(buf.Bytes())
		}
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			peekBuffers.Put(buf)
		}
		return fields, replay, body
	}
	// The body can be read only once: read it (bounded) and give the transport
	// a body that replays what was read followed by the rest.
	data, err := io.ReadAll(io.LimitReader(req.Body, maxRequestPeek))
	fields = jsonFields(data)
	var rest io.Reader = req.Body
	switch {
	case err != nil:
		rest = errReader{err}
	case len(data) < maxRequestPeek:
		rest = nil // read to EOF: the copy below is the whole body
	}
	if rest == nil {
		replay.body = replayBody{Reader: bytes.NewReader(data), closer: req.Body}
		replay.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	} else {
		replay.body = replayBody{Reader: io.MultiReader(bytes.NewReader(data), rest), closer: req.Body}
	}
	if keep {
		body = data
	}
	return fields, replay, body
}

// replayBody reads bytes already taken from a request body, and closes the original.
type replayBody struct {
	io.Reader
	closer io.Closer
}

func (b replayBody) Close() error { return b.closer.Close() }

// errReader returns the error reading the original body ended with.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// jsonFields returns the top-level "model" string, "stream" boolean and service
// tier ("service_tier", Gemini's "serviceTier") of a JSON object, skipping every other
// value without decoding it. Malformed input yields what was found before the fault.
func jsonFields(b []byte) (f requestJSON) {
	_ = jsonscan.Fields(b, func(k, v []byte) {
		switch string(k) {
		case "model":
			if v[0] == '"' {
				f.model, _ = intern.JSON(v)
			}
		case "stream":
			f.stream = string(v) == "true"
		case "service_tier", "serviceTier":
			if v[0] == '"' {
				s, _ := jsonscan.String(v)
				f.tier = requestTier(s)
			}
		}
	})
	return f
}

// requestTier maps the service tier a request asks for, in Gemini's words ("flex",
// "PRIORITY") or Groq's ("on_demand"), to a semconv.ServiceTier* value.
func requestTier(s string) string {
	if t := response.GeminiTier(s); t != "" {
		return t
	}
	return response.GroqTier(s)
}
