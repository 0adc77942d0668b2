package response

import (
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// geminiField reads one top-level field of a GenerateContentResponse or stream chunk.
func (p *Parser) geminiField(k, v []byte) error {
	switch string(k) {
	case "modelVersion":
		return firstModel(&p.res.Model, v)
	case "responseId":
		return firstString(&p.res.ID, v)
	case "candidates":
		return firstErr(p.groundingQueries(v), p.finishReasons(v, "finishReason"))
	case "usageMetadata":
		// Stream usage is cumulative: the latest counts replace earlier ones, and a
		// chunk without counts keeps them.
		ok, err := geminiUsage(v, &p.scratch)
		if ok {
			p.scratch.apply(&p.res)
		}
		return firstErr(err, p.usageTier(v))
	case "error":
		return p.apiError(v)
	}
	return nil
}

// geminiUsage reads usageMetadata into *r, converted to billed semantics: tool-use
// prompt tokens are billed as input and thoughts as output. ok is false when v has no
// counts.
func geminiUsage(v []byte, r *report) (ok bool, err error) {
	*r = report{}
	if jsonscan.IsNull(v) {
		return false, nil
	}
	g := &r.reported
	n, err := jsonscan.CountFields(v, func(k, val []byte) *int64 {
		switch string(k) {
		case "promptTokenCount": // includes cached
			return &g.Prompt
		case "candidatesTokenCount": // excludes thoughts
			return &g.Candidates
		case "thoughtsTokenCount":
			return &g.Thoughts
		case "toolUsePromptTokenCount":
			return &g.ToolUsePrompt
		case "totalTokenCount":
			return &g.Total
		case "cachedContentTokenCount":
			return &r.billed.CacheReadInputTokens
		case "promptTokensDetails", "toolUsePromptTokensDetails":
			modalityDetails(val, &r.billed, usage.InputPart)
		case "cacheTokensDetails":
			modalityDetails(val, &r.billed, usage.CacheReadPart)
		case "candidatesTokensDetails", "responseTokensDetails": // Live names output "response"
			modalityDetails(val, &r.billed, usage.OutputPart)
		}
		return nil
	})
	if err != nil && err != jsonscan.ErrBadCount {
		return false, err
	}
	r.billed.InputTokens = g.Prompt + g.ToolUsePrompt
	r.billed.OutputTokens = g.Candidates + g.Thoughts
	r.billed.ReasoningOutputTokens = g.Thoughts
	return n > 0, err
}

// modalityDetails adds a list of {modality, tokenCount} to u's per-modality part p. An
// entry without tokenCount counts 0 (Gemini leaves it out of zero entries). The
// details are recorded as given, even where they do not add up to the totals; a
// malformed entry is skipped, as the totals alone still bill the call.
func modalityDetails(v []byte, u *usage.Usage, p usage.Part) {
	_ = jsonscan.Elements(v, func(e []byte) {
		var modality []byte
		var n int64
		_ = jsonscan.Fields(e, func(k, v []byte) {
			switch string(k) {
			case "modality":
				if len(v) >= 2 && v[0] == '"' {
					modality = v[1 : len(v)-1]
				}
			case "tokenCount":
				n, _ = jsonscan.Count(v)
			}
		})
		u.AddModality(p, string(modality), n)
	})
}
