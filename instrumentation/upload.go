package instrumentation

import (
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/aiusage/aiusage/instrumentation/internal/audio"
	"github.com/aiusage/aiusage/instrumentation/internal/formdata"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// upload observes a speech-to-text request body (multipart/form-data) while the base
// transport reads it to send it: the model and response_format fields, and the audio
// file's duration, measured from its bytes as they go by. Nothing is buffered beyond
// the few KB of part headers and container headers; the bytes sent are the app's.
type upload struct {
	contentType string

	mu    sync.Mutex // the base transport reads the body on its own goroutine
	form  *formdata.Scanner
	meter audio.Meter
	eof   bool // the body was read to its end
}

// Form fields the instrumentation reads from a speech-to-text upload.
const (
	formModel          = "model"
	formResponseFormat = "response_format"
	formFile           = "file"
)

// newUpload returns an upload observer for req, or nil when its body is not a form.
func newUpload(req *http.Request) *upload {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	u := &upload{contentType: req.Header.Get("Content-Type")}
	if !u.reset() {
		return nil
	}
	return u
}

// reset starts observing a body from its first byte, as when the transport resends it.
func (u *upload) reset() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	f, ok := formdata.New(u.contentType, []string{formModel, formResponseFormat}, formFile, &u.meter)
	if !ok {
		return false
	}
	u.form, u.meter, u.eof = f, audio.Meter{}, false
	return true
}

// wrap installs the observer on out, whose body and GetBody are req's.
func (u *upload) wrap(out, req *http.Request) {
	out.Body = &uploadBody{rc: req.Body, u: u}
	if get := req.GetBody; get != nil {
		out.GetBody = func() (io.ReadCloser, error) {
			rc, err := get()
			if err != nil {
				return nil, err
			}
			u.reset()
			return &uploadBody{rc: rc, u: u}, nil
		}
	}
}

// uploadBody is a request body whose bytes the upload observes on their way out.
type uploadBody struct {
	rc io.ReadCloser
	u  *upload
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.u.mu.Lock()
	if n > 0 {
		_, _ = b.u.form.Write(p[:n])
	}
	if err == io.EOF {
		b.u.eof = true
	}
	b.u.mu.Unlock()
	return n, err
}

func (b *uploadBody) Close() error { return b.rc.Close() }

// uploaded is what an upload said once sent.
type uploaded struct {
	model, format string
	// seconds is the audio's measured duration; measured is false when it is unknown:
	// no file part, a format the meter cannot read, or a body not sent whole.
	seconds  float64
	measured bool
}

// result returns what the body sent so far said.
func (u *upload) result() uploaded {
	u.mu.Lock()
	defer u.mu.Unlock()
	var r uploaded
	r.model, _ = u.form.Field(formModel)
	r.format, _ = u.form.Field(formResponseFormat)
	if u.eof && u.form.Complete() && u.form.Files() == 1 {
		if m := u.meter.Result(); m.Known {
			r.seconds, r.measured = m.Seconds, true
		}
	}
	return r
}

// inputCharacters counts the characters of a text-to-speech request's "input": what
// Groq bills it by. Escapes count as the characters they stand for.
func inputCharacters(body []byte) int64 {
	var n int64
	_ = jsonscan.Fields(body, func(k, v []byte) {
		if string(k) != "input" || len(v) == 0 || v[0] != '"' {
			return
		}
		if plain, ok := jsonscan.Plain(v); ok {
			n = int64(utf8.RuneCount(plain))
			return
		}
		if s, err := jsonscan.String(v); err == nil {
			n = int64(utf8.RuneCountInString(s))
		}
	})
	return n
}
