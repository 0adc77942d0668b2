package response

import (
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// container walks a JSON body that is one object or array as it arrives, and hands out
// each item as soon as it is complete: the members of a non-stream response ("usage":
// {...}) or the elements of Gemini's JSON-array stream ([{...},\r\n{...}]). Only the item
// in progress is buffered, so a huge member (inline image data) costs its own too_large
// mark but not the usage after it.
type container struct {
	open, close      byte // '{' '}' or '[' ']'
	opened, closed   bool
	depth            int  // nesting inside the current item; 0 between items
	inString, escape bool // inside a JSON string; after a backslash in it
	inItem           bool
	itemLen          int  // bytes of the current item so far, buffered or not
	carried          bool // the current item began in an earlier write and sits in Parser.buf
	junk             bool // a byte that cannot be there was seen
	keyRead          bool // the current member's key is complete (objects only)
	skip             bool // the current member is one the dialect does not read: not buffered
}

func newContainer(open byte) container {
	if open == '{' {
		return container{open: '{', close: '}'}
	}
	return container{open: '[', close: ']'}
}

func (p *Parser) writeContainer(b []byte) {
	c := &p.box
	start := 0 // where the current item's bytes begin in b
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if c.inString {
			if c.escape {
				c.escape = false
				continue
			}
			// Jump over the string's plain bytes (long content, base64 data) to its next
			// quote or backslash.
			i = jsonscan.StringStop(b, i)
			switch {
			case i == len(b):
			case b[i] == '\\':
				c.escape = true
			default:
				c.inString = false
				if c.depth == 0 && c.inItem && !c.keyRead && c.open == '{' {
					c.keyRead = true
					c.skip = p.skipsMember(c, b[start:i])
				}
			}
			continue
		}
		if c.depth == 0 {
			switch {
			case jsonscan.IsSpace(ch):
				continue
			case !c.opened && ch == c.open:
				c.opened = true
				continue
			case !c.opened || c.closed:
				p.junk()
				continue
			case ch == ',' || ch == c.close:
				if c.inItem {
					p.endItem(b[start:i])
				}
				c.closed = ch == c.close
				continue
			case ch == '}' || ch == ']':
				p.junk()
				continue
			}
			if !c.inItem {
				c.inItem, c.itemLen, c.carried, start = true, 0, false, i
				c.keyRead, c.skip = false, false
			}
		}
		switch ch {
		case '"':
			c.inString = true
		case '{', '[':
			c.depth++
		case '}', ']':
			c.depth--
			if c.depth == 0 { // a container item is complete at its closing bracket
				p.endItem(b[start : i+1])
			}
		}
	}
	if c.inItem {
		p.keepItem(b[start:])
	}
}

func (p *Parser) junk() {
	if !p.box.junk {
		p.box.junk = true
		p.fail(ParseInvalidJSON)
	}
}

// keepItem buffers the part of an item that a write ended in.
func (p *Parser) keepItem(b []byte) {
	c := &p.box
	if c.skip {
		c.itemLen += len(b)
		return
	}
	if !c.carried {
		c.carried = true
		p.buf = p.buf[:0]
	}
	c.itemLen += len(b)
	if c.itemLen <= p.maxItem() {
		p.buf = append(p.buf, b...)
	}
}

// endItem handles a complete item whose last bytes are b.
func (p *Parser) endItem(b []byte) {
	c := &p.box
	item := b
	if c.carried {
		p.keepItem(b)
		item = p.buf
	} else {
		c.itemLen = len(b)
	}
	c.inItem, c.carried = false, false
	if p.res.Stream {
		p.res.Chunks++
	}
	switch {
	case c.skip:
		// Not read by the dialect: delimited, not kept.
	case c.itemLen > p.maxItem():
		p.fail(ParseTooLarge)
	case c.open == '[':
		p.object(item)
	default:
		if err := p.member(item); err != nil {
			p.fail(syntaxReason(err))
		}
	}
	p.buf = p.buf[:0]
}

// member handles one `"key": value` of a top-level object.
func (p *Parser) member(m []byte) error {
	if len(m) == 0 || m[0] != '"' {
		return jsonscan.ErrInvalid
	}
	end, err := jsonscan.SkipString(m, 0)
	if err != nil {
		return err
	}
	i := jsonscan.SkipSpace(m, end)
	if i == len(m) || m[i] != ':' {
		return jsonscan.ErrInvalid
	}
	v := m[jsonscan.SkipSpace(m, i+1):]
	for len(v) > 0 && jsonscan.IsSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	if len(v) == 0 {
		return jsonscan.ErrInvalid
	}
	return p.field(m[1:end-1], v)
}

// maxSkippedKey bounds the keys skipsMember compares: the members skipped have short names.
const maxSkippedKey = 32

// skipsMember reports whether the dialect does not read the member whose key has just
// been read: the key's opening quote starts the item (in Parser.buf when carried over
// from an earlier write, then tail) and tail ends before its closing quote. Skipping a
// member saves buffering a value the walk would pass over, such as the vectors of an
// embeddings answer.
func (p *Parser) skipsMember(c *container, tail []byte) bool {
	var key []byte
	var scratch [maxSkippedKey + 1]byte
	if c.carried {
		if len(p.buf)+len(tail) > len(scratch) || len(p.buf) == 0 {
			return false
		}
		key = append(append(scratch[:0], p.buf...), tail...)
	} else {
		key = tail
	}
	if len(key) < 2 || key[0] != '"' {
		return false
	}
	return p.unread(key[1:])
}

// unread reports whether the dialect's walk never reads the top-level member key.
func (p *Parser) unread(key []byte) bool {
	switch p.dialect {
	case GeminiEmbeddings:
		return string(key) == "embeddings" || string(key) == "embedding"
	case OpenAIEmbeddings:
		return string(key) == "data"
	case BatchJob:
		// A finished Gemini batch sends its results twice: once read, the second copy is not.
		b := p.surface.batch
		return string(key) == "response" && b != nil && b.Results != nil
	}
	return false
}
