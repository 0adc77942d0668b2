package instrumentation

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
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
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", false
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return model, stream
		}
		end := skipString(b, i)
		if end < 0 {
			return model, stream
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return model, stream
		}
		i = skipSpace(b, i+1)
		vend := skipValue(b, i)
		if vend < 0 {
			return model, stream
		}
		switch string(key) {
		case "model":
			if b[i] == '"' {
				model = unquote(b[i:vend])
			}
		case "stream":
			stream = string(b[i:vend]) == "true"
		}
		i = skipSpace(b, vend)
		if i >= len(b) || b[i] != ',' {
			return model, stream
		}
		i++
	}
}

// unquote decodes a JSON string literal; only escaped strings pay for strconv.
func unquote(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	s, err := strconv.Unquote(string(lit))
	if err != nil {
		return ""
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string literal starting at b[i], or -1.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default: // number, true, false, null
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}
