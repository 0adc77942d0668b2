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

	"github.com/aiusage/aiusage/instrumentation/internal/intern"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// Dialect is the body format a provider endpoint speaks.
type Dialect int

const (
	// OpenAIChat is Groq's chat completions and Gemini's OpenAI-compatible
	// /v1beta/openai/chat/completions: JSON, or SSE ending in data: [DONE].
	OpenAIChat Dialect = iota
	// GeminiNative is Gemini's :generateContent (JSON) and :streamGenerateContent
	// (SSE with alt=sse, otherwise one JSON array delivered piecemeal), on the Gemini
	// API and on Vertex AI.
	GeminiNative

	// The rest of the billable surface (embeddings.go, responses.go, cache.go, batch.go).

	// GeminiEmbeddings is Gemini's :embedContent and :batchEmbedContents and Vertex AI's
	// :predict for text embeddings.
	GeminiEmbeddings
	// OpenAIEmbeddings is an OpenAI-compatible /embeddings response.
	OpenAIEmbeddings
	// OpenAIResponses is the Responses API (Groq /openai/v1/responses): JSON, or SSE
	// events ending with response.completed.
	OpenAIResponses
	// GeminiCachedContent is the cachedContents resource an explicit cache creation returns.
	GeminiCachedContent
	// BatchJob is a batch job as a job call returns it: a Gemini batch's long-running
	// operation (batchGenerateContent creates it, the app polls it) or a Groq batch object.
	BatchJob
	// BatchFile is a batch job's results file, one JSON object per line: Groq's output
	// file or a Gemini batch's responses file.
	BatchFile
)

// MaxBuffer bounds what a Parser buffers: one SSE line or event, one top-level member of a
// JSON body or one element of a JSON-array stream. A bigger one is skipped and reported as
// ParseTooLarge; the rest of the body is still read, so usage after a huge content member
// (inline image data) is not lost.
const MaxBuffer = 4 << 20

// MaxBulkBuffer is MaxBuffer for the bodies whose counts sit inside one large member:
// an embeddings response (the counts beside the vectors of each prediction), a batch
// job's inlined responses, a line of a results file.
const MaxBulkBuffer = 64 << 20

// maxItem is the buffer bound of p's dialect.
func (p *Parser) maxItem() int {
	switch p.dialect {
	case GeminiEmbeddings, OpenAIEmbeddings, BatchJob, BatchFile:
		return MaxBulkBuffer
	}
	return MaxBuffer
}

type mode uint8

const (
	modeDetect    mode = iota // no body byte but white space seen yet
	modeContainer             // a JSON object or array, parsed item by item
	modeSSE                   // server-sent events, parsed line by line
	modeLines                 // JSON lines (a batch results file), parsed line by line
	modeInvalid               // neither: nothing to parse
	modeOpaque                // not for parsing (audio, a plain-text transcript): passed by
)

// Parser extracts a Result from a response body written to it. It is not safe for
// concurrent use.
type Parser struct {
	dialect Dialect
	status  int
	sseType bool // Content-Type said text/event-stream
	mode    mode
	buf     []byte // an SSE line or a container item split across writes
	sse     sseState
	box     container
	openai  openAIState
	surface surfaceState // embeddings, Responses API, batch, grounding
	like    quietTemplate
	scratch report // decoding target; kept in the Parser so decoding allocates nothing
	res     Result
	done    bool
	walkAll bool // tests: walk every event and choice, to compare with skipping quiet ones
}

// NewParser returns a Parser for a response with the given dialect, HTTP status code and
// Content-Type header value.
func NewParser(d Dialect, status int, contentType string) *Parser {
	p := new(Parser)
	p.Reset(d, status, contentType)
	return p
}

// maxKept bounds each buffer a Parser keeps across Reset: a rare huge line or member
// is not held on to for the next response.
const maxKept = 64 << 10

// Reset makes p a Parser for another response, as NewParser does, keeping the buffers
// it grew (unless large) so that a pooled Parser reads the next body without allocating.
func (p *Parser) Reset(d Dialect, status int, contentType string) {
	buf, data, like := kept(p.buf), kept(p.sse.data), kept(p.like.event)
	*p = Parser{dialect: d, status: status, sseType: isEventStream(contentType), buf: buf}
	p.sse.data, p.like.event = data, like
	if d == Speech && status < 400 {
		p.mode = modeOpaque // audio: not a byte is looked at
	}
}

// kept is b emptied, or nil when b is too large to keep.
func kept(b []byte) []byte {
	if cap(b) > maxKept {
		return nil
	}
	return b[:0]
}

// Write feeds the next body bytes. It always returns len(b), nil.
func (p *Parser) Write(b []byte) (int, error) {
	n := len(b)
	if p.done {
		return n, nil
	}
	if p.mode == modeDetect {
		i := jsonscan.SkipSpace(b, 0)
		if i == len(b) {
			return n, nil
		}
		p.mode = p.detect(b[i])
		b = b[i:]
	}
	switch p.mode {
	case modeContainer:
		p.writeContainer(b)
	case modeSSE:
		p.writeSSE(b)
	case modeLines:
		p.writeLines(b)
	}
	return n, nil
}

// detect picks the body format from its first non-space byte: providers send JSON errors
// under Content-Type text/event-stream, so the header alone cannot decide.
func (p *Parser) detect(c byte) mode {
	switch {
	case p.dialect == BatchFile && p.status < 400:
		if c == '{' {
			return modeLines
		}
		return modeInvalid // a downloaded file that holds no results (a video): nothing to read
	case p.opaque(c):
		return modeOpaque
	case c == '{' || c == '[':
		// An array is Gemini's stream, or errors from Gemini's OpenAI-compatible endpoint.
		p.res.Stream = c == '[' && p.dialect == GeminiNative
		p.box = newContainer(c)
		return modeContainer
	case p.sseType:
		p.res.Stream = true
		return modeSSE
	default:
		p.fail(ParseInvalidJSON)
		return modeInvalid
	}
}

// Result returns what the body said. complete reports whether the body was read to its
// end; false (closed early, read error) marks the result ParseTruncated unless the body
// had already ended by its own framing (data: [DONE], or the JSON value's closing
// bracket): SDKs close a finished stream without reading to EOF. The first call
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
	case modeContainer:
		if !p.box.closed {
			p.fail(ParseTruncated)
		}
	case modeSSE:
		p.endSSE()
	case modeLines:
		p.endLines()
	}
	p.buf = p.buf[:0]
	p.settle()
	if !complete && !p.ended() {
		p.res.ParseError = ParseTruncated
	}
}

// ended reports whether the body's own framing said it was over.
func (p *Parser) ended() bool {
	switch p.mode {
	case modeSSE:
		return p.sse.done || p.surface.terminal
	case modeContainer:
		return p.box.closed
	}
	return false
}

// settle completes the Result from what the walk gathered across the body: the one
// usage report of the OpenAI dialect, and the counts of the other dialects kept apart
// from the usage they join.
func (p *Parser) settle() {
	switch p.dialect {
	case OpenAIChat, OpenAIEmbeddings:
		p.openai.apply(&p.res)
	}
	p.surface.apply(&p.res)
}

func isEventStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// object handles one JSON object: an SSE event or an array element.
func (p *Parser) object(b []byte) {
	var bad error
	err := jsonscan.Fields(b, func(k, v []byte) {
		if err := p.field(k, v); bad == nil {
			bad = err
		}
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		p.fail(syntaxReason(err))
	}
}

// field handles one top-level field of a response, stream chunk or array element.
func (p *Parser) field(k, v []byte) error {
	switch p.dialect {
	case GeminiNative:
		return p.geminiField(k, v)
	case GeminiEmbeddings:
		return p.embeddingsField(k, v)
	case OpenAIResponses:
		return p.responsesField(k, v)
	case GeminiCachedContent:
		return p.cachedContentField(k, v)
	case BatchJob:
		return p.batchField(k, v)
	case BatchFile:
		return p.openAIField(k, v) // an error body; results are read line by line
	case Transcription:
		return p.transcriptionField(k, v)
	}
	return p.openAIField(k, v)
}

// fail records the first parse problem.
func (p *Parser) fail(reason string) {
	if p.res.ParseError == "" {
		p.res.ParseError = reason
	}
}

func syntaxReason(err error) string {
	var se *json.SyntaxError
	if err == jsonscan.ErrTruncated || (errors.As(err, &se) && se.Error() == "unexpected end of JSON input") {
		return ParseTruncated
	}
	return ParseInvalidJSON
}

// finishReasons adds the non-null values of key in the array of objects v (OpenAI
// choices, Gemini candidates), keeping them distinct and in order.
func (p *Parser) finishReasons(v []byte, key string) error {
	// A stream's chunks rarely have a finish reason: most have no such key at all, and
	// looking for it costs a fraction of walking the candidates' content. A whole
	// response has one, so there the search would only add a pass.
	if jsonscan.IsNull(v) || (p.res.Stream && !p.walkAll && !bytes.Contains(v, []byte(key))) {
		return nil
	}
	var bad error
	err := jsonscan.Elements(v, func(elem []byte) {
		err := jsonscan.Fields(elem, func(k, val []byte) {
			if string(k) == key && !jsonscan.IsNull(val) && bad == nil {
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
	r, err := intern.JSON(v)
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
