package cassette

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
)

// Transport returns a RoundTripper that answers the n-th request with the n-th recorded
// response, whatever the request. The response is what net/http's client would return had
// a server sent the recording: the recorded status line, headers and wire body (gzip kept,
// as for a caller that sets Accept-Encoding itself), with Transfer-Encoding and
// Content-Length handled as net/http handles them. A request after the last interaction
// fails. It is safe for concurrent use; concurrent requests get interactions in arrival order.
func (c *Cassette) Transport() http.RoundTripper {
	return &replay{c: c}
}

type replay struct {
	c    *Cassette
	mu   sync.Mutex
	next int
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// A RoundTripper must consume and close the request body, even on error.
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	r.mu.Lock()
	i := r.next
	if i < len(r.c.Interactions) {
		r.next++
	}
	r.mu.Unlock()
	if i >= len(r.c.Interactions) {
		return nil, fmt.Errorf("cassette %s: %s %s: all %d interactions already replayed", r.c.Name, req.Method, req.URL.Redacted(), len(r.c.Interactions))
	}
	resp, err := r.c.Interactions[i].Response.wire(req)
	if err != nil {
		return nil, fmt.Errorf("cassette %s: interaction %d: %w", r.c.Name, i, err)
	}
	return resp, nil
}

// wire serialises the response as HTTP/1.1 and reads it back with http.ReadResponse, so
// header normalisation, chunked framing and Content-Length follow net/http exactly.
func (r Response) wire(req *http.Request) (*http.Response, error) {
	var b bytes.Buffer
	msg := r.Message
	if msg == "" {
		msg = http.StatusText(r.Status)
	}
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", r.Status, msg)
	chunked := false
	for _, v := range r.Header.Values("Transfer-Encoding") {
		if strings.EqualFold(strings.TrimSpace(v), "chunked") {
			chunked = true
		}
	}
	for k, vs := range r.Header {
		switch k {
		case "Transfer-Encoding":
			continue
		case "Content-Length":
			// parsed_body recordings are re-encoded, so the recorded length may no longer
			// match; a real server's length always matches its body.
			if !chunked {
				fmt.Fprintf(&b, "Content-Length: %s\r\n", strconv.Itoa(len(r.Body)))
			}
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, strings.NewReplacer("\r", " ", "\n", " ").Replace(v))
		}
	}
	if chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(&b)
		if _, err := cw.Write(r.Body); err != nil {
			return nil, err
		}
		if err := cw.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	} else {
		// Without Content-Length the body runs to the end of the buffer, as it would to a
		// connection close.
		b.WriteString("\r\n")
		b.Write(r.Body)
	}
	resp, err := http.ReadResponse(bufio.NewReader(&b), req)
	if err != nil {
		return nil, fmt.Errorf("rebuild response: %w", err)
	}
	return resp, nil
}
