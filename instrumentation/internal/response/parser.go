// Package response reads Groq and Gemini response bodies as the app reads them and extracts
// what the telemetry needs: response model and id, finish reasons, billed token usage and
// provider errors, including Groq's in-band stream errors and Gemini's quota details.
//
// A Parser is an io.Writer fed with the body bytes the app has read. It never fails, never
// changes or keeps the bytes beyond a bounded buffer, and reports what it found in Result.
package response

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// Dialect is the body format a provider endpoint speaks.
type Dialect int

const (
	// OpenAIChat is Groq's chat completions and Gemini's OpenAI-compatible
	// /v1beta/openai/chat/completions: JSON, or SSE ending in data: [DONE].
	OpenAIChat Dialect = iota
	// GeminiNative is Gemini's :generateContent (JSON) and :streamGenerateContent
	// (SSE with alt=sse, otherwise one JSON array delivered piecemeal).
	GeminiNative
)

// MaxBuffer bounds the memory a Parser holds: a non-stream body, one SSE event or one
// JSON-array element. Bigger ones are skipped and reported as ParseTooLarge.
const MaxBuffer = 4 << 20

type mode uint8

const (
	modeDetect mode = iota // no body byte but white space seen yet
	modeJSON               // one JSON value, buffered and parsed at the end
	modeSSE                // server-sent events, parsed line by line
	modeArray              // Gemini JSON-array stream, parsed element by element
)

// Parser extracts a Result from a response body written to it. It is not safe for
// concurrent use.
type Parser struct {
	dialect  Dialect
	status   int
	sseType  bool // Content-Type said text/event-stream
	mode     mode
	buf      []byte // modeJSON: the body; modeSSE: a line split across writes; modeArray: an element split across writes
	overflow bool   // modeJSON: the body exceeded MaxBuffer
	sse      sseState
	arr      arrayState
	openai   openAIState
	scratch  Usage // decoding target; kept in the Parser so decoding allocates nothing
	res      Result
	done     bool
}

// NewParser returns a Parser for a response with the given dialect, HTTP status code and
// Content-Type header value.
func NewParser(d Dialect, status int, contentType string) *Parser {
	return &Parser{dialect: d, status: status, sseType: isEventStream(contentType)}
}

// Write feeds the next body bytes. It always returns len(b), nil.
func (p *Parser) Write(b []byte) (int, error) {
	n := len(b)
	if p.done {
		return n, nil
	}
	if p.mode == modeDetect {
		i := skipSpace(b, 0)
		if i == len(b) {
			return n, nil
		}
		p.mode = p.detect(b[i])
		b = b[i:]
	}
	switch p.mode {
	case modeJSON:
		p.writeJSON(b)
	case modeSSE:
		p.writeSSE(b)
	case modeArray:
		p.writeArray(b)
	}
	return n, nil
}

// detect picks the body format from its first non-space byte: providers send JSON errors
// under Content-Type text/event-stream, so the header alone cannot decide.
func (p *Parser) detect(c byte) mode {
	switch {
	case c == '[' && p.dialect == GeminiNative:
		p.res.Stream = true
		return modeArray
	case c == '{' || c == '[':
		return modeJSON
	case p.sseType:
		p.res.Stream = true
		return modeSSE
	default:
		return modeJSON // reported as invalid_json
	}
}

func (p *Parser) writeJSON(b []byte) {
	if p.overflow {
		return
	}
	if len(p.buf)+len(b) > MaxBuffer {
		p.overflow = true
		p.buf = nil
		return
	}
	p.buf = append(p.buf, b...)
}

// Result returns what the body said. complete reports whether the body was read to its
// end; false (closed early, read error) marks the result ParseTruncated. The first call
// ends parsing; later writes are ignored and later calls return the same Result.
func (p *Parser) Result(complete bool) Result {
	if !p.done {
		p.finish(complete)
		p.done = true
	}
	return p.res
}

func (p *Parser) finish(complete bool) {
	switch p.mode {
	case modeDetect:
		p.fail(ParseEmpty)
	case modeJSON:
		switch {
		case p.overflow:
			p.fail(ParseTooLarge)
		case len(p.buf) > 0 && p.buf[0] == '[':
			p.jsonArray(p.buf)
		default:
			p.object(p.buf)
		}
		p.buf = nil
	case modeSSE:
		p.endSSE()
	case modeArray:
		if !p.arr.closed {
			p.fail(ParseTruncated)
		}
		p.buf = nil
	}
	if p.dialect == OpenAIChat {
		p.openai.apply(&p.res)
	}
	if !complete {
		p.res.ParseError = ParseTruncated
	}
}

func isEventStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// jsonArray handles a whole JSON array body that is not a Gemini stream: Gemini's
// OpenAI-compatible endpoint sends errors as [{"error":{...}}].
func (p *Parser) jsonArray(b []byte) {
	if err := arrayElems(b, p.object); err != nil {
		p.fail(syntaxReason(err))
	}
}

// object handles one JSON object: a whole body, an SSE event or an array element.
func (p *Parser) object(b []byte) {
	var err error
	switch p.dialect {
	case GeminiNative:
		err = p.gemini(b)
	default:
		err = p.openAI(b)
	}
	if err != nil {
		p.fail(syntaxReason(err))
	}
}

// fail records the first parse problem.
func (p *Parser) fail(reason string) {
	if p.res.ParseError == "" {
		p.res.ParseError = reason
	}
}

func syntaxReason(err error) string {
	var se *json.SyntaxError
	if err == errTruncated || (errors.As(err, &se) && se.Error() == "unexpected end of JSON input") {
		return ParseTruncated
	}
	return ParseInvalidJSON
}

// finishReasons adds the non-null values of key in the array of objects v (OpenAI
// choices, Gemini candidates), keeping them distinct and in order.
func (p *Parser) finishReasons(v []byte, key string) error {
	if isNull(v) {
		return nil
	}
	var bad error
	err := arrayElems(v, func(elem []byte) {
		err := objectFields(elem, func(k, val []byte) {
			if string(k) == key && !isNull(val) && bad == nil {
				bad = p.addFinishReason(val)
			}
		})
		if bad == nil {
			bad = err
		}
	})
	if err != nil {
		return err
	}
	return bad
}

// addFinishReason adds the JSON string v unless already seen; the common case compares
// the raw bytes and allocates nothing.
func (p *Parser) addFinishReason(v []byte) error {
	raw := len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0
	if raw {
		for _, seen := range p.res.FinishReasons {
			if seen == string(v[1:len(v)-1]) {
				return nil
			}
		}
	}
	r, err := jsonString(v)
	if err != nil || r == "" || slices.Contains(p.res.FinishReasons, r) {
		return err
	}
	p.res.FinishReasons = append(p.res.FinishReasons, r)
	return nil
}

// isSyntax reports whether a decode error left nothing usable; a value of the wrong type
// in one field still decodes the rest.
func isSyntax(err error) bool {
	var te *json.UnmarshalTypeError
	return err != nil && !errors.As(err, &te)
}
