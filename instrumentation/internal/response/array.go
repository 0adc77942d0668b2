package response

// arrayState tracks Gemini's JSON-array stream ([{...},\r\n{...}]) across writes, so each
// element is decoded as soon as it is complete.
type arrayState struct {
	opened, closed   bool
	depth            int  // nesting inside the current element; 0 between elements
	inString, escape bool // inside a JSON string; after a backslash in it
	elemLen          int  // bytes of the current element so far, buffered or not
	carried          bool // the current element began in an earlier write and sits in buf
	junk             bool // a byte that cannot be there was seen between elements
}

func (p *Parser) writeArray(b []byte) {
	a := &p.arr
	start := 0 // where the current element's bytes begin in b
	for i := 0; i < len(b); i++ {
		c := b[i]
		if a.depth == 0 {
			switch {
			case isSpace(c) || (c == ',' && a.opened && !a.closed):
			case c == '[' && !a.opened:
				a.opened = true
			case c == ']' && a.opened && !a.closed:
				a.closed = true
			case c == '{' && a.opened && !a.closed:
				a.depth, a.elemLen, a.carried, start = 1, 0, false, i
			default:
				if !a.junk {
					a.junk = true
					p.fail(ParseInvalidJSON)
				}
			}
			continue
		}
		if a.inString {
			switch {
			case a.escape:
				a.escape = false
			case c == '\\':
				a.escape = true
			case c == '"':
				a.inString = false
			}
			continue
		}
		switch c {
		case '"':
			a.inString = true
		case '{', '[':
			a.depth++
		case '}', ']':
			a.depth--
			if a.depth == 0 {
				p.endElement(b[start : i+1])
			}
		}
	}
	if a.depth > 0 {
		p.keepElement(b[start:])
	}
}

// keepElement buffers the part of an element that a write ended in.
func (p *Parser) keepElement(b []byte) {
	a := &p.arr
	if !a.carried {
		a.carried = true
		p.buf = p.buf[:0]
	}
	a.elemLen += len(b)
	if a.elemLen <= MaxBuffer {
		p.buf = append(p.buf, b...)
	}
}

// endElement handles a complete element whose last bytes are b.
func (p *Parser) endElement(b []byte) {
	a := &p.arr
	elem := b
	if a.carried {
		p.keepElement(b)
		elem = p.buf
	} else {
		a.elemLen = len(b)
	}
	p.res.Chunks++
	switch {
	case a.elemLen > MaxBuffer:
		p.fail(ParseTooLarge)
	default:
		p.object(elem)
	}
	a.carried = false
	p.buf = p.buf[:0]
}
