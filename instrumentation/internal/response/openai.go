package response

import "encoding/json"

// openAIBody is the part of an OpenAI-style chat completion, or of one stream chunk, that
// the telemetry needs.
type openAIBody struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage          *openAIUsage   `json:"usage"`
	UsageBreakdown *groqBreakdown `json:"usage_breakdown"` // Groq compound, non-stream
	XGroq          *struct {
		Usage          *openAIUsage   `json:"usage"`
		UsageBreakdown *groqBreakdown `json:"usage_breakdown"` // Groq compound, stream
	} `json:"x_groq"`
	Error *errorJSON `json:"error"`
}

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
	seenChunk          bool
}

func (s *openAIState) apply(r *Result) {
	switch {
	case s.hasUsage:
		r.Usage, r.HasUsage = s.usage, true
	case s.hasXGroq:
		r.Usage, r.HasUsage = s.xgroq, true
	}
}

// openAINeeds reports whether a stream chunk may carry anything not yet known: the
// first chunk's model and id, a finish reason, usage or an error. Most chunks carry only
// content and are skipped without decoding.
func (p *Parser) openAINeeds(d []byte) bool {
	return !p.openai.seenChunk ||
		(p.res.Model == "" && valued(d, keyModel)) ||
		(p.res.ID == "" && valued(d, keyID)) ||
		valued(d, keyFinishReason) ||
		valued(d, keyUsage) ||
		valued(d, keyUsageBreakdown) ||
		valued(d, keyError)
}

func (p *Parser) openAI(b []byte) error {
	var body openAIBody
	err := json.Unmarshal(b, &body)
	if isSyntax(err) {
		return err
	}
	p.openai.seenChunk = true
	if p.res.Model == "" {
		p.res.Model = body.Model
	}
	if p.res.ID == "" {
		p.res.ID = body.ID
	}
	for _, c := range body.Choices {
		p.addFinishReason(c.FinishReason)
	}
	if body.Usage != nil {
		p.openai.usage, p.openai.hasUsage = body.Usage.usage(), true
	}
	bd := body.UsageBreakdown
	if body.XGroq != nil {
		if body.XGroq.Usage != nil {
			p.openai.xgroq, p.openai.hasXGroq = body.XGroq.Usage.usage(), true
		}
		if body.XGroq.UsageBreakdown != nil {
			bd = body.XGroq.UsageBreakdown
		}
	}
	if bd != nil && len(bd.Models) > 0 {
		p.res.Breakdown = p.res.Breakdown[:0]
		for _, m := range bd.Models {
			p.res.Breakdown = append(p.res.Breakdown, ModelUsage{Model: m.Model, Usage: m.Usage.usage()})
		}
	}
	if body.Error != nil {
		p.res.Error = body.Error.apiError(p.status)
	}
	return err
}
