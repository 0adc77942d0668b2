package response

import (
	"bytes"
	"encoding/json"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// Batch is what a batch job call or a batch results file said.
type Batch struct {
	// Job names the batch: a Gemini operation's name ("batches/abc") or a Groq batch id.
	Job string
	// Model is a Gemini batch's model, without "models/".
	Model string
	// State is the job's state as the provider writes it ("BATCH_STATE_SUCCEEDED",
	// "completed").
	State string
	// Done says the job has ended: Gemini's done, Groq's completed, failed, expired or
	// cancelled.
	Done bool
	// Requests, Succeeded and Failed are the job's request counts (Gemini batchStats,
	// whose numbers are strings; Groq request_counts), when HasCounts.
	Requests, Succeeded, Failed int64
	HasCounts                   bool
	// ResultsFile names the file the results are to be downloaded from when they are
	// not inline: Gemini's responsesFile ("files/abc"), Groq's output_file_id.
	ResultsFile string
	// Results holds one Result per request answered, inline in a Gemini operation
	// (metadata.output and again response: read once) or one per line of a results file.
	Results []Result
	// Dropped counts results beyond MaxBatchResults, not kept.
	Dropped int64
}

// MaxBatchResults bounds the results a Batch keeps from one body.
const MaxBatchResults = 100_000

// terminalGroqStates are the states in which a Groq batch has ended.
var terminalGroqStates = map[string]bool{"completed": true, "failed": true, "expired": true, "cancelled": true}

// batchField reads one top-level field of a batch job: a Gemini operation
// {"name", "metadata": {"model", "state", "batchStats", "output"}, "done", "response"}
// or a Groq batch object {"id", "object": "batch", "status", "request_counts",
// "output_file_id"}.
func (p *Parser) batchField(k, v []byte) error {
	b := p.batchOf()
	switch string(k) {
	case "name": // Gemini
		if err := firstString(&b.Job, v); err != nil {
			return err
		}
		return firstString(&p.res.ID, v)
	case "id": // Groq
		if err := firstString(&b.Job, v); err != nil {
			return err
		}
		return firstString(&p.res.ID, v)
	case "metadata":
		return p.batchMetadata(v)
	case "done":
		b.Done = b.Done || string(v) == "true"
	case "response":
		return p.batchDestination(v)
	case "status": // Groq
		if err := firstString(&b.State, v); err != nil {
			return err
		}
		b.Done = b.Done || terminalGroqStates[b.State]
	case "request_counts": // Groq
		return batchCounts(v, b, "total", "completed", "failed")
	case "output_file_id": // Groq
		return firstString(&b.ResultsFile, v)
	case "object": // Groq: "batch"
		p.surface.openAIBatch = p.surface.openAIBatch || string(v) == `"batch"`
	case "error":
		// A job that failed is said by its state; the call that told it succeeded.
		if p.status >= 400 {
			return p.apiError(v)
		}
	}
	return nil
}

// batchOf returns the Batch being read, made on first use.
func (p *Parser) batchOf() *Batch {
	if p.surface.batch == nil {
		p.surface.batch = new(Batch)
	}
	return p.surface.batch
}

// batchMetadata reads a Gemini operation's metadata. A Groq batch's metadata is the
// app's own string map and says nothing here.
func (p *Parser) batchMetadata(v []byte) error {
	if jsonscan.IsNull(v) || len(v) == 0 || v[0] != '{' || p.surface.openAIBatch {
		return nil
	}
	b := p.batchOf()
	var bad error
	err := jsonscan.Fields(v, func(k, v []byte) {
		var err error
		switch string(k) {
		case "name":
			err = firstString(&b.Job, v)
		case "model":
			if b.Model == "" && v[0] == '"' {
				b.Model, err = modelName(v)
			}
		case "state":
			if v[0] == '"' {
				err = firstString(&b.State, v)
			}
		case "batchStats":
			err = batchCounts(v, b, "requestCount", "successfulRequestCount", "failedRequestCount")
		case "output":
			err = p.batchDestination(v)
		}
		bad = firstErr(bad, err)
	})
	return firstErr(err, bad)
}

// batchCounts reads a job's request counts under the given keys: numbers, or numbers
// written as strings as Gemini's batchStats does.
func batchCounts(v []byte, b *Batch, total, succeeded, failed string) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	var bad error
	err := jsonscan.Fields(v, func(k, val []byte) {
		var dst *int64
		switch string(k) {
		case total:
			dst = &b.Requests
		case succeeded:
			dst = &b.Succeeded
		case failed:
			dst = &b.Failed
		default:
			return
		}
		n, ok := jsonscan.Count(unquote(val))
		if !ok {
			bad = firstErr(bad, jsonscan.ErrBadCount)
			return
		}
		*dst, b.HasCounts = n, true
	})
	return firstErr(err, bad)
}

// unquote returns the bytes inside a JSON string without escapes, else v as it is.
func unquote(v []byte) []byte {
	if raw, ok := jsonscan.Plain(v); ok {
		return raw
	}
	return v
}

// batchDestination reads where a Gemini batch's results are: inlinedResponses
// {"inlinedResponses": [{"response": {...}, "metadata": {...}}, ...]} or a responsesFile.
// The operation carries them twice, in metadata.output and in response: the first one
// read is kept.
func (p *Parser) batchDestination(v []byte) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	b := p.batchOf()
	var bad error
	err := jsonscan.Fields(v, func(k, v []byte) {
		switch string(k) {
		case "responsesFile":
			bad = firstErr(bad, firstString(&b.ResultsFile, v))
		case "inlinedResponses":
			if b.Results != nil || jsonscan.IsNull(v) {
				return // read already, from the other copy
			}
			list := jsonscan.Field(v, "inlinedResponses")
			if list == nil || jsonscan.IsNull(list) {
				return
			}
			b.Results = make([]Result, 0, 8)
			bad = firstErr(bad, jsonscan.Elements(list, func(e []byte) {
				r, err := p.resultEntry(e)
				bad = firstErr(bad, err)
				if r != nil {
					b.add(*r)
				}
			}))
		}
	})
	return firstErr(err, bad)
}

// add keeps r unless MaxBatchResults are kept already.
func (b *Batch) add(r Result) {
	if len(b.Results) >= MaxBatchResults {
		b.Dropped++
		return
	}
	b.Results = append(b.Results, r)
}

// resultEntry reads one result of a batch, an inlined response or a results file line:
// Gemini {"response": GenerateContentResponse} or {"error": Status}; Groq {"response":
// {"status_code", "body": chat completion}, "error": null}. It returns nil for an entry
// that holds neither.
func (p *Parser) resultEntry(e []byte) (*Result, error) {
	var out *Result
	var bad error
	err := jsonscan.Fields(e, func(k, v []byte) {
		if jsonscan.IsNull(v) {
			return
		}
		switch string(k) {
		case "response":
			var r Result
			switch body := jsonscan.Field(v, "body"); {
			case body == nil: // Gemini
				r = p.nestedResult(GeminiNative, v)
			case string(jsonscan.Field(body, "object")) == `"response"`: // a batch of Responses API calls
				r = p.nestedResult(OpenAIResponses, body)
			default:
				r = p.nestedResult(OpenAIChat, body)
			}
			if out != nil && out.Error != nil {
				r.Error = out.Error
			}
			out = &r
		case "error":
			var ej errorJSON
			if err := json.Unmarshal(v, &ej); isSyntax(err) {
				bad = firstErr(bad, err)
				return
			}
			if out == nil {
				out = &Result{}
			}
			out.Error = ej.apiError(0)
		}
	})
	return out, firstErr(err, bad)
}

// nestedResult reads the JSON object obj, one response inside a batch body, as the body
// of its own call.
func (p *Parser) nestedResult(d Dialect, obj []byte) Result {
	n := p.surface.nested
	if n == nil {
		n = new(Parser)
		p.surface.nested = n
	}
	n.Reset(d, 200, "")
	n.object(obj)
	n.settle()
	return n.res
}

// writeLines reads a results file line by line. A line wholly inside b is read in
// place; only a line split across writes is copied.
func (p *Parser) writeLines(b []byte) {
	s := &p.surface
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.keepLine(b)
			return
		}
		if s.lineLen == 0 {
			s.lineLen = i
			p.resultLine(b[:i])
		} else {
			p.keepLine(b[:i])
			p.resultLine(p.buf)
			p.buf = p.buf[:0]
		}
		s.lineLen = 0
		b = b[i+1:]
	}
}

// keepLine buffers part of a line until its end arrives; beyond the buffer bound the
// line is counted, not kept.
func (p *Parser) keepLine(b []byte) {
	p.surface.lineLen += len(b)
	if p.surface.lineLen > p.maxItem() {
		p.buf = p.buf[:0]
		return
	}
	p.buf = append(p.buf, b...)
}

// endLines reads a last line without a newline.
func (p *Parser) endLines() {
	if p.surface.lineLen > 0 {
		p.resultLine(p.buf)
		p.surface.lineLen = 0
	}
}

// resultLine reads one line of a results file.
func (p *Parser) resultLine(l []byte) {
	if p.surface.lineLen > p.maxItem() {
		p.fail(ParseTooLarge)
		return
	}
	if jsonscan.SkipSpace(l, 0) == len(l) {
		return // a blank line
	}
	r, err := p.resultEntry(l)
	if err != nil {
		p.fail(syntaxReason(err))
	}
	if r != nil {
		p.batchOf().add(*r)
	}
}
