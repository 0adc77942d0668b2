package response

import "encoding/json"

type openAIUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`     // includes cached
	CompletionTokens    int64 `json:"completion_tokens"` // includes reasoning
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// groqBreakdown is Groq compound's usage_breakdown: top level in a completion, under
// x_groq in the final stream chunk.
type groqBreakdown struct {
	Models []struct {
		Model string      `json:"model"`
		Usage openAIUsage `json:"usage"`
	} `json:"models"`
}

func (u *openAIUsage) usage() Usage {
	return Usage{
		InputTokens:           max(u.PromptTokens, 0),
		OutputTokens:          max(u.CompletionTokens, 0),
		CacheReadInputTokens:  max(u.PromptTokensDetails.CachedTokens, 0),
		ReasoningOutputTokens: max(u.CompletionTokensDetails.ReasoningTokens, 0),
		TotalTokens:           max(u.TotalTokens, 0),
	}
}

// openAIState keeps Groq's two usage reports apart: a stream may carry x_groq.usage and,
// with stream_options.include_usage, a top-level usage for the same call. One is taken,
// never their sum.
type openAIState struct {
	usage, xgroq       Usage
	hasUsage, hasXGroq bool
}

func (s *openAIState) apply(r *Result) {
	switch {
	case s.hasUsage:
		r.Usage, r.HasUsage = s.usage, true
	case s.hasXGroq:
		r.Usage, r.HasUsage = s.xgroq, true
	}
}

// openAI reads a chat completion or one stream chunk.
func (p *Parser) openAI(b []byte) error {
	var bad error
	note := func(err error) {
		if bad == nil {
			bad = err
		}
	}
	err := objectFields(b, func(k, v []byte) {
		switch string(k) {
		case "id":
			note(p.firstString(&p.res.ID, v))
		case "model":
			note(p.firstString(&p.res.Model, v))
		case "choices":
			note(p.finishReasons(v, "finish_reason"))
		case "usage":
			note(openAIUsageOf(v, &p.openai.usage, &p.openai.hasUsage))
		case "usage_breakdown":
			note(p.breakdown(v))
		case "x_groq":
			if isNull(v) {
				return
			}
			note(objectFields(v, func(k, v []byte) {
				switch string(k) {
				case "usage":
					note(openAIUsageOf(v, &p.openai.xgroq, &p.openai.hasXGroq))
				case "usage_breakdown":
					note(p.breakdown(v))
				}
			}))
		case "error":
			note(p.apiError(v))
		}
	})
	if err != nil {
		return err
	}
	return bad
}

// openAIUsageOf decodes a usage object, unless null, into *dst.
func openAIUsageOf(v []byte, dst *Usage, ok *bool) error {
	if isNull(v) {
		return nil
	}
	var u openAIUsage
	err := json.Unmarshal(v, &u)
	if !isSyntax(err) {
		*dst, *ok = u.usage(), true
	}
	return err
}

func (p *Parser) breakdown(v []byte) error {
	if isNull(v) {
		return nil
	}
	var bd groqBreakdown
	err := json.Unmarshal(v, &bd)
	if isSyntax(err) || len(bd.Models) == 0 {
		return err
	}
	p.res.Breakdown = p.res.Breakdown[:0]
	for _, m := range bd.Models {
		p.res.Breakdown = append(p.res.Breakdown, ModelUsage{Model: m.Model, Usage: m.Usage.usage()})
	}
	return err
}

// firstString sets *dst from the JSON string v unless *dst is already set.
func (p *Parser) firstString(dst *string, v []byte) error {
	if *dst != "" {
		return nil
	}
	s, err := jsonString(v)
	*dst = s
	return err
}
