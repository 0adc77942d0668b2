package response

import "bytes"

// sseState is the event being assembled from server-sent-event lines.
type sseState struct {
	lineLen  int    // bytes of the current line so far, buffered or not
	data     []byte // data lines of the current event, joined by \n
	hasData  bool
	dataOver bool // data exceeded MaxBuffer and was dropped
	isError  bool // event: error
	done     bool // data: [DONE] seen: the stream ended as the protocol says
}

var (
	fieldData      = []byte("data")
	fieldDataColon = []byte("data:")
	fieldEvent     = []byte("event")
	eventError     = []byte("error")
	dataDone       = []byte("[DONE]")
)

// writeSSE splits b into lines. A line wholly inside b is handled in place, and so is a
// one-line event with its blank line; only a line split across writes is copied.
func (p *Parser) writeSSE(b []byte) {
	s := &p.sse
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.bufferLine(b)
			return
		}
		if s.lineLen == 0 {
			if n := p.dataEvent(b, i); n > 0 {
				b = b[n:]
				continue
			}
			if i > MaxBuffer {
				p.fail(ParseTooLarge)
			} else {
				p.line(b[:i])
			}
		} else {
			p.bufferLine(b[:i])
			if s.lineLen > MaxBuffer {
				p.fail(ParseTooLarge)
			} else {
				p.line(p.buf)
			}
			p.buf = p.buf[:0]
		}
		s.lineLen = 0
		b = b[i+1:]
	}
}

// dataEvent handles in place, without copying its data, an event that is one data line
// ending at b[nl] followed by its blank line, as stream chunks are. It returns how many
// bytes of b that took, or 0 when b does not start so.
func (p *Parser) dataEvent(b []byte, nl int) int {
	if p.sse.hasData || nl > MaxBuffer || len(b) <= nl+1 {
		return 0
	}
	n := nl + 2 // the data line and a blank line "\n"
	if b[nl+1] == '\r' {
		n++ // "\r\n"
	}
	if n > len(b) || b[n-1] != '\n' {
		return 0
	}
	value, ok := bytes.CutPrefix(b[:nl], fieldDataColon)
	if !ok {
		return 0
	}
	value = trimCR(value)
	if len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	isError := p.sse.isError
	p.sse.isError = false
	p.event(value, false, isError, true)
	return n
}

// trimCR drops the \r of a line that ended in \r\n.
func trimCR(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		return l[:n-1]
	}
	return l
}

// bufferLine keeps part of a line until its end arrives; a line over MaxBuffer is counted
// but not kept.
func (p *Parser) bufferLine(b []byte) {
	p.sse.lineLen += len(b)
	if p.sse.lineLen > MaxBuffer {
		p.buf = p.buf[:0]
		return
	}
	p.buf = append(p.buf, b...)
}

// line handles one SSE line without its \n.
func (p *Parser) line(l []byte) {
	s := &p.sse
	l = trimCR(l)
	if len(l) == 0 {
		p.dispatch(true)
		return
	}
	if l[0] == ':' { // comment
		return
	}
	field, value := l, []byte(nil)
	if i := bytes.IndexByte(l, ':'); i >= 0 {
		field, value = l[:i], l[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch {
	case bytes.Equal(field, fieldData):
		if s.hasData {
			s.data = append(s.data, '\n')
		}
		s.hasData = true
		if len(s.data)+len(value) > MaxBuffer {
			s.dataOver = true
			s.data = s.data[:0]
		}
		if !s.dataOver {
			s.data = append(s.data, value...)
		}
	case bytes.Equal(field, fieldEvent):
		s.isError = bytes.Equal(value, eventError)
	}
}

// dispatch handles the event ended by a blank line (framed) or by the end of the body,
// which may have cut it short.
func (p *Parser) dispatch(framed bool) {
	s := &p.sse
	data, hasData, over, isError := s.data, s.hasData, s.dataOver, s.isError
	s.data, s.hasData, s.dataOver, s.isError = s.data[:0], false, false, false
	if hasData {
		p.event(data, over, isError, framed)
	}
}

// event handles the data of an event: over says it exceeded MaxBuffer and was dropped,
// isError that it came as event: error, framed as for dispatch.
func (p *Parser) event(data []byte, over, isError, framed bool) {
	if bytes.Equal(data, dataDone) {
		p.sse.done = true
		return
	}
	p.res.Chunks++
	switch {
	case over:
		p.fail(ParseTooLarge)
	case isError:
		p.inbandError(data)
	case framed && p.quiet(data):
		// Nothing in it that the walk would read.
	default:
		p.object(data)
	}
}

// endSSE handles a last line without a newline and the event it may end.
func (p *Parser) endSSE() {
	if p.sse.lineLen > 0 {
		if p.sse.lineLen > MaxBuffer {
			p.fail(ParseTooLarge)
		} else {
			p.line(p.buf)
		}
		p.sse.lineLen = 0
	}
	p.dispatch(false)
	p.buf = p.buf[:0]
}
