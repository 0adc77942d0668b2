package emulator

import (
	"context"
	"net/http"
	"time"
)

// chunkWriter writes a response chunk by chunk, flushing each one so the client sees it
// arrive, and waits the configured delay between chunks.
type chunkWriter struct {
	ctx   context.Context
	w     http.ResponseWriter
	rc    *http.ResponseController
	delay time.Duration
	n     int
	err   error
}

func newChunkWriter(ctx context.Context, w http.ResponseWriter, delay time.Duration) *chunkWriter {
	return &chunkWriter{ctx: ctx, w: w, rc: http.NewResponseController(w), delay: delay}
}

// write sends the concatenation of parts as one chunk. After the first error (the client
// went away) it does nothing; err reports it.
func (c *chunkWriter) write(parts ...[]byte) {
	if c.err != nil {
		return
	}
	if c.n > 0 && c.delay > 0 {
		t := time.NewTimer(c.delay)
		select {
		case <-c.ctx.Done():
			t.Stop()
			c.err = c.ctx.Err()
			return
		case <-t.C:
		}
	}
	c.n++
	for _, p := range parts {
		if _, err := c.w.Write(p); err != nil {
			c.err = err
			return
		}
	}
	if err := c.rc.Flush(); err != nil {
		c.err = err
	}
}

var (
	sseData      = []byte("data: ")
	sseErrorData = []byte("event: error\ndata: ")
	lf2          = []byte("\n\n")     // Groq and OpenAI-style streams end events with LF LF
	crlf2        = []byte("\r\n\r\n") // Gemini's SSE ends events with CRLF CRLF
	sseDone      = []byte("data: [DONE]\n\n")

	// Gemini's stream without alt=sse is one JSON array, an element per chunk.
	arrayOpen  = []byte("[")
	arrayComma = []byte(",\r\n")
	arrayClose = []byte("]")
)
