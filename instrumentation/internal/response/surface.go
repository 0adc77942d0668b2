package response

import (
	"bytes"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// surfaceState is what the dialects beyond chat gather across a body before it joins
// the Result: counts that arrive apart from the usage report they belong to.
type surfaceState struct {
	// webSearch is the length of groundingMetadata.webSearchQueries, which a stream
	// sends only in its last event; hasWebSearch says an event had it.
	webSearch    int64
	hasWebSearch bool

	// Vertex AI :predict text embeddings: the token count of each prediction's
	// statistics, summed, and metadata.billableCharacterCount.
	predictTokens, characters  int64
	hasPredictTokens, hasChars bool

	tierSeen bool // an OpenAI service_tier was read: later chunks repeat it
	terminal bool // a Responses API stream's last event was seen

	batch       *Batch  // BatchJob and BatchFile
	openAIBatch bool    // the BatchJob is a Groq (OpenAI-compatible) batch object
	lineLen     int     // bytes of the current BatchFile line so far
	nested      *Parser // walks the responses inside batch results
}

// apply adds what was gathered to res.
func (s *surfaceState) apply(res *Result) {
	if s.hasPredictTokens {
		res.Usage.InputTokens, res.HasUsage = s.predictTokens, true
		if s.hasChars {
			res.Usage.InputCharacters = s.characters
		}
	}
	if s.hasWebSearch && res.HasUsage {
		res.Usage.WebSearchQueries = s.webSearch
	}
	if s.batch != nil {
		res.Batch = s.batch
	}
}

var keyWebSearchQueries = []byte(`"webSearchQueries"`)

// groundingQueries counts the search queries of a grounded Gemini answer: the length of
// candidates[].groundingMetadata.webSearchQueries. Most bodies and stream chunks have
// no such key, which a byte search settles without walking the candidates.
func (p *Parser) groundingQueries(candidates []byte) error {
	if !bytes.Contains(candidates, keyWebSearchQueries) {
		return nil
	}
	var n int64
	var found bool
	var bad error
	err := jsonscan.Elements(candidates, func(c []byte) {
		bad = firstErr(bad, jsonscan.Fields(c, func(k, v []byte) {
			if string(k) != "groundingMetadata" || jsonscan.IsNull(v) {
				return
			}
			q := jsonscan.Field(v, "webSearchQueries")
			if q == nil || jsonscan.IsNull(q) {
				return
			}
			found = true
			bad = firstErr(bad, jsonscan.Elements(q, func([]byte) { n++ }))
		}))
	})
	if found {
		p.surface.webSearch, p.surface.hasWebSearch = n, true
	}
	return firstErr(err, bad)
}
