package response

import (
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// embeddingsField reads one top-level field of an embeddings response. The shapes seen
// on the wire:
//   - no usage at all (gemini-embedding-001 and gemini-embedding-2-preview on the
//     Gemini API): the tokens stay unknown;
//   - usageMetadata {promptTokenCount, promptTokenDetails[]} with a singular details key
//     and no total (gemini-embedding-2 on the Gemini API);
//   - usageMetadata {promptTokenCount, promptTokensDetails[], totalTokenCount} (Vertex AI
//     :embedContent);
//   - Vertex AI :predict: predictions[].embeddings.statistics.token_count per input and
//     metadata.billableCharacterCount for the request.
func (p *Parser) embeddingsField(k, v []byte) error {
	switch string(k) {
	case "usageMetadata":
		ok, err := geminiUsage(v, &p.scratch)
		if !ok {
			return err
		}
		err = firstErr(err, inputModalities(v, &p.scratch.billed))
		p.scratch.apply(&p.res)
		return err
	case "predictions":
		return p.predictionTokens(v)
	case "metadata":
		if jsonscan.IsNull(v) {
			return nil
		}
		s := &p.surface
		n, err := jsonscan.CountFields(v, func(k, _ []byte) *int64 {
			if string(k) == "billableCharacterCount" {
				return &s.characters
			}
			return nil
		})
		s.hasChars = s.hasChars || n > 0
		return err
	case "error":
		return p.apiError(v)
	}
	return nil
}

// predictionTokens sums the token_count of each :predict prediction's statistics. A
// count may be written as a float ("4.0"); only whole values are taken.
func (p *Parser) predictionTokens(v []byte) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	s := &p.surface
	var bad error
	err := jsonscan.Elements(v, func(pred []byte) {
		stats := jsonscan.Field(jsonscan.Field(pred, "embeddings"), "statistics")
		if stats == nil {
			return
		}
		raw := jsonscan.Field(stats, "token_count")
		if raw == nil || jsonscan.IsNull(raw) {
			return
		}
		n, ok := wholeNumber(raw)
		if !ok {
			bad = firstErr(bad, jsonscan.ErrBadCount)
			return
		}
		s.predictTokens += n
		s.hasPredictTokens = true
	})
	return firstErr(err, bad)
}

// wholeNumber decodes a non-negative integer written as an integer or as a float with
// a zero fraction ("12", "12.0").
func wholeNumber(v []byte) (int64, bool) {
	if n, ok := jsonscan.Count(v); ok {
		return n, true
	}
	for i, c := range v {
		if c == '.' {
			for _, d := range v[i+1:] {
				if d != '0' {
					return 0, false
				}
			}
			return jsonscan.Count(v[:i])
		}
	}
	return 0, false
}

// inputModalities sets the per-modality parts of the input from a usageMetadata's
// prompt details, under either key the API writes: promptTokensDetails (plural, as on
// generateContent and Vertex AI) or promptTokenDetails (singular, gemini-embedding-2 on
// the Gemini API). TEXT is the rest of the input total and has no field.
func inputModalities(usageMetadata []byte, u *usage.Usage) error {
	var bad error
	err := jsonscan.Fields(usageMetadata, func(k, v []byte) {
		switch string(k) {
		case "promptTokensDetails", "promptTokenDetails":
			bad = firstErr(bad, modalityCounts(v, u))
		}
	})
	return firstErr(err, bad)
}

// modalityCounts reads a [{modality, tokenCount}] list into the input parts of u.
func modalityCounts(v []byte, u *usage.Usage) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	var bad error
	err := jsonscan.Elements(v, func(e []byte) {
		var modality []byte
		var count int64
		_, err := jsonscan.CountFields(e, func(k, val []byte) *int64 {
			switch string(k) {
			case "modality":
				modality = val
			case "tokenCount":
				return &count
			}
			return nil
		})
		bad = firstErr(bad, err)
		switch string(modality) {
		case `"AUDIO"`:
			u.AudioInputTokens += count
		case `"IMAGE"`:
			u.ImageInputTokens += count
		case `"VIDEO"`:
			u.VideoInputTokens += count
		case `"DOCUMENT"`:
			u.DocumentInputTokens += count
		}
	})
	return firstErr(err, bad)
}
