package response

import (
	"errors"
	"math"
	"strconv"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// errBadDuration: a duration that is not a non-negative JSON number.
var errBadDuration = errors.New("json: duration is not a non-negative number")

// The voice dialects. Their values sit apart from the chat dialects' so that each
// block can grow on its own.
const (
	// Transcription is Groq's speech-to-text and translation answer: JSON ("json":
	// text only; "verbose_json": the duration too) or, for "text", the transcript as
	// plain text, which is not parsed.
	Transcription Dialect = 16 + iota
	// Speech is Groq's text-to-speech answer: audio bytes, never parsed or kept; only
	// an error body (status 400 and above) is read.
	Speech
)

// opaque reports whether a body with first non-space byte c is not for parsing: a
// transcript asked for as text. Speech bodies are opaque from the start (see Reset).
func (p *Parser) opaque(c byte) bool {
	return p.dialect == Transcription && p.status < 400 && c != '{'
}

// transcriptionField reads one top-level field of a transcription: Groq's request id
// (x_groq.id) and the audio's duration in seconds (verbose_json).
func (p *Parser) transcriptionField(k, v []byte) error {
	switch string(k) {
	case "duration":
		if jsonscan.IsNull(v) {
			return nil
		}
		d, ok := seconds(v)
		if !ok {
			return errBadDuration
		}
		p.res.Reported.Duration, p.res.HasUsage = d, true
		return nil
	case "x_groq":
		if jsonscan.IsNull(v) {
			return nil
		}
		var bad error
		err := jsonscan.Fields(v, func(k, v []byte) {
			if string(k) == "id" && bad == nil {
				bad = firstString(&p.res.ID, v)
			}
		})
		if err != nil {
			return err
		}
		return bad
	case "error":
		return p.apiError(v)
	}
	return nil
}

// seconds decodes a non-negative JSON number of seconds.
func seconds(v []byte) (float64, bool) {
	if len(v) == 0 || (v[0] < '0' || v[0] > '9') {
		return 0, false // JSON numbers start with a digit or '-', and a duration is not negative
	}
	d, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(d, 0) {
		return 0, false
	}
	return d, true
}
