// Package formdata reads a multipart/form-data request body as it streams to the
// server, without keeping it: the values of a few small fields are collected, the
// file part is handed to a writer byte for byte, and everything else goes by. It never
// holds more than MaxHeader bytes of part headers and MaxValue bytes of each field.
package formdata

import (
	"bytes"
	"io"
	"mime"
	"strings"
)

// Limits on what a Scanner keeps.
const (
	// MaxHeader bounds a part's header block; a longer one ends scanning.
	MaxHeader = 8 << 10
	// MaxValue bounds a collected field's value; the rest of it is dropped.
	MaxValue = 1 << 10
)

// Scanner reads one multipart/form-data body written to it.
type Scanner struct {
	delim  []byte            // "\r\n--" + boundary
	fields map[string]string // wanted field name -> value so far ("" until seen)
	seen   map[string]bool
	file   io.Writer // receives the file part's bytes
	// fileName is the form name of the file part ("file").
	fileName string

	state   state
	hold    []byte // bytes of a part body that may begin the delimiter
	scratch []byte // a small window across writes
	header  []byte // the part headers so far
	sink    sink
	value   []byte // the field value being collected
	field   string // its name
	after   []byte // bytes after a delimiter, up to the line end
	files   int
	done    bool // the closing delimiter was seen
	failed  bool // the body is not a form this scanner can read
}

type state uint8

const (
	inBody   state = iota // a part body (or the preamble): looking for the delimiter
	inAfter               // after a delimiter: "--" ends the form, a line end starts a part
	inHeader              // a part's header block
	inEnd                 // after the closing delimiter (the epilogue)
)

// sink is where a part body goes.
type sink uint8

const (
	discard sink = iota
	toValue
	toFile
)

// New returns a Scanner for a body of the given Content-Type, collecting the named
// fields and writing the part named fileName to file; false when the Content-Type is
// not multipart/form-data with a boundary.
func New(contentType string, fields []string, fileName string, file io.Writer) (*Scanner, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, false
	}
	b := params["boundary"]
	if b == "" || len(b) > 200 {
		return nil, false
	}
	s := &Scanner{
		delim:    []byte("\r\n--" + b),
		fields:   make(map[string]string, len(fields)),
		seen:     make(map[string]bool, len(fields)),
		file:     file,
		fileName: fileName,
	}
	for _, f := range fields {
		s.fields[f] = ""
	}
	// The first delimiter has no line end before it: scan the preamble as if it had.
	s.hold = append(s.hold, '\r', '\n')
	return s, true
}

// Field returns the value of a wanted field and whether the form had it.
func (s *Scanner) Field(name string) (string, bool) {
	return s.fields[name], s.seen[name]
}

// Complete reports whether the form's closing delimiter went by: every part was seen.
func (s *Scanner) Complete() bool { return s.done && !s.failed }

// Files is how many parts went to the file writer (0 or 1).
func (s *Scanner) Files() int { return s.files }

// Write feeds the next bytes of the body. It always returns len(p), nil.
func (s *Scanner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !s.failed && s.state != inEnd {
		switch s.state {
		case inBody:
			p = s.body(p)
		case inAfter:
			p = s.afterDelimiter(p)
		case inHeader:
			p = s.headers(p)
		}
	}
	return n, nil
}

// body passes part bytes to the sink until the delimiter; it returns the bytes after it.
func (s *Scanner) body(p []byte) []byte {
	d := s.delim
	if len(s.hold) > 0 {
		// A delimiter may have begun in the held bytes: look at them with enough of p.
		w := append(append(s.scratch[:0], s.hold...), p[:min(len(p), len(d)-1)]...)
		s.scratch = w
		if i := bytes.Index(w, d); i >= 0 && i < len(s.hold) {
			s.emit(s.hold[:i])
			rest := p[i+len(d)-len(s.hold):]
			s.hold = s.hold[:0]
			s.endPart()
			return rest
		}
		if len(p) < len(d)-1 {
			// Too few bytes to decide: hold them too, emitting what cannot begin it.
			keep := partialSuffix(w, d)
			s.emit(w[:len(w)-keep])
			s.hold = append(s.hold[:0], w[len(w)-keep:]...)
			return nil
		}
		s.emit(s.hold)
		s.hold = s.hold[:0]
	}
	if i := bytes.Index(p, d); i >= 0 {
		s.emit(p[:i])
		s.endPart()
		return p[i+len(d):]
	}
	keep := partialSuffix(p, d)
	s.emit(p[:len(p)-keep])
	s.hold = append(s.hold, p[len(p)-keep:]...)
	return nil
}

// partialSuffix is the length of the longest suffix of b that begins d (shorter than d).
func partialSuffix(b, d []byte) int {
	from := max(len(b)-len(d)+1, 0)
	for i := from; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], d[0])
		if j < 0 {
			return 0
		}
		i += j
		if bytes.HasPrefix(d, b[i:]) {
			return len(b) - i
		}
	}
	return 0
}

// emit hands part bytes to the current sink.
func (s *Scanner) emit(b []byte) {
	if len(b) == 0 {
		return
	}
	switch s.sink {
	case toFile:
		_, _ = s.file.Write(b)
	case toValue:
		if room := MaxValue - len(s.value); room > 0 {
			s.value = append(s.value, b[:min(len(b), room)]...)
		}
	}
}

// endPart finishes the part whose delimiter was just found.
func (s *Scanner) endPart() {
	if s.sink == toValue && !s.seen[s.field] {
		s.fields[s.field], s.seen[s.field] = string(s.value), true
	}
	s.sink, s.value, s.field = discard, s.value[:0], ""
	s.state, s.after = inAfter, s.after[:0]
}

// afterDelimiter reads what follows a delimiter: "--" closes the form; otherwise
// optional white space and a line end lead to the next part's headers.
func (s *Scanner) afterDelimiter(p []byte) []byte {
	for i, c := range p {
		s.after = append(s.after, c)
		switch {
		case len(s.after) == 2 && string(s.after) == "--":
			s.done, s.state = true, inEnd
			return nil
		case c == '\n':
			if !bytes.HasSuffix(s.after, []byte("\r\n")) || strings.TrimRight(string(s.after), " \t\r\n") != "" {
				s.failed = true
				return nil
			}
			s.state, s.header = inHeader, s.header[:0]
			return p[i+1:]
		case len(s.after) > 64:
			s.failed = true
			return nil
		}
	}
	return nil
}

// headers collects a part's header block and picks the part's sink from it.
func (s *Scanner) headers(p []byte) []byte {
	start := len(s.header)
	take := min(len(p), MaxHeader-len(s.header))
	s.header = append(s.header, p[:take]...)
	if len(s.header) >= 2 && s.header[0] == '\r' && s.header[1] == '\n' { // no headers at all
		s.state = inBody
		return p[2-start:]
	}
	end := bytes.Index(s.header[max(start-3, 0):], []byte("\r\n\r\n"))
	if end < 0 {
		if len(s.header) >= MaxHeader {
			s.failed = true
		}
		return nil
	}
	end += max(start-3, 0) + 4
	s.choose(s.header[:end-4])
	s.state = inBody
	return p[end-start:]
}

// choose sets the sink of the part with the given header block.
func (s *Scanner) choose(h []byte) {
	for _, line := range strings.Split(string(h), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "Content-Disposition") {
			continue
		}
		disp, params, err := mime.ParseMediaType(strings.TrimSpace(value))
		if err != nil || disp != "form-data" {
			return
		}
		field := params["name"]
		switch _, wanted := s.fields[field]; {
		case field == s.fileName && s.files == 0:
			s.sink = toFile
			s.files++
		case wanted:
			s.sink, s.field = toValue, field
		}
		return
	}
}
