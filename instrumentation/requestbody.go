package instrumentation

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/aiusage/aiusage/instrumentation/internal/intern"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
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

// requestFields reads the request model and stream flag of a JSON chat request,
// and returns the body read when keep is set (for content recording). It reads
// a copy of the body when req has GetBody; otherwise it reads the body itself
// and returns a replacement that sends the same bytes, so the server receives
// exactly what it would have without us.
func requestFields(req *http.Request, keep bool) (model string, stream bool, replay requestBody, body []byte) {
	if req.Body == nil || req.Body == http.NoBody {
		return "", false, replay, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return "", false, replay, nil
		}
		buf := peekBuffers.Get().(*bytes.Buffer)
		if req.ContentLength > 0 && req.ContentLength <= maxRequestPeek {
			_, _ = buf.ReadFrom(rc) // the length is known and small enough
		} else {
			_, _ = buf.ReadFrom(io.LimitReader(rc, maxRequestPeek))
		}
		_ = rc.Close()
		model, stream = jsonFields(buf.Bytes())
		if keep {
			body = bytes.Clone(buf.Bytes())
		}
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			peekBuffers.Put(buf)
		}
		return model, stream, replay, body
	}
	// The body can be read only once: read it (bounded) and give the transport
	// a body that replays what was read followed by the rest.
	data, err := io.ReadAll(io.LimitReader(req.Body, maxRequestPeek))
	model, stream = jsonFields(data)
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
	return model, stream, replay, body
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

// jsonFields returns the top-level "model" string and "stream" boolean of a
// JSON object, skipping every other value without decoding it. Malformed input
// yields what was found before the fault.
func jsonFields(b []byte) (model string, stream bool) {
	_ = jsonscan.Fields(b, func(k, v []byte) {
		switch string(k) {
		case "model":
			if v[0] == '"' {
				model, _ = intern.JSON(v)
			}
		case "stream":
			stream = string(v) == "true"
		}
	})
	return model, stream
}
