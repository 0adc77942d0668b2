package response

import (
	"bytes"
	"encoding/json"
)

// geminiBody is the part of a Gemini GenerateContentResponse, or of one stream chunk, that
// the telemetry needs.
type geminiBody struct {
	Candidates []struct {
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata geminiUsage `json:"usageMetadata"`
	ModelVersion  string      `json:"modelVersion"`
	ResponseID    string      `json:"responseId"`
	Error         *errorJSON  `json:"error"`
}

// geminiUsage holds usageMetadata counts; unset is -1 so a chunk whose usageMetadata has no
// counts is told apart from one reporting zeros.
type geminiUsage struct {
	PromptTokenCount        int64 `json:"promptTokenCount"` // includes cached
	CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"` // excludes thoughts
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
}

var unsetGeminiUsage = geminiUsage{-1, -1, -1, -1, -1, -1}

// usage converts to billed semantics: tool-use prompt tokens are billed as input and
// thoughts as output.
func (g geminiUsage) usage() (u Usage, ok bool) {
	ok = g != unsetGeminiUsage
	n := func(v int64) int64 { return max(v, 0) }
	u = Usage{
		PromptTokens:         n(g.PromptTokenCount),
		CandidatesTokens:     n(g.CandidatesTokenCount),
		ThoughtsTokens:       n(g.ThoughtsTokenCount),
		ToolUsePromptTokens:  n(g.ToolUsePromptTokenCount),
		TotalTokens:          n(g.TotalTokenCount),
		CacheReadInputTokens: n(g.CachedContentTokenCount),
	}
	u.InputTokens = u.PromptTokens + u.ToolUsePromptTokens
	u.OutputTokens = u.CandidatesTokens + u.ThoughtsTokens
	u.ReasoningOutputTokens = u.ThoughtsTokens
	return u, ok
}

// geminiNeeds reports whether a stream chunk may carry anything not yet known. Usage is
// cumulative, so every chunk with counts matters; chunks without are skipped.
func (p *Parser) geminiNeeds(d []byte) bool {
	return (p.res.Model == "" && valued(d, keyModelVersion)) ||
		(p.res.ID == "" && valued(d, keyResponseID)) ||
		valued(d, keyGeminiFinish) ||
		(valued(d, keyUsageMetadata) && bytes.Contains(d, suffixTokenCount)) ||
		valued(d, keyError)
}

func (p *Parser) gemini(b []byte) error {
	body := geminiBody{UsageMetadata: unsetGeminiUsage}
	err := json.Unmarshal(b, &body)
	if isSyntax(err) {
		return err
	}
	if p.res.Model == "" {
		p.res.Model = body.ModelVersion
	}
	if p.res.ID == "" {
		p.res.ID = body.ResponseID
	}
	for _, c := range body.Candidates {
		p.addFinishReason(c.FinishReason)
	}
	// Stream usage is cumulative: the latest counts replace earlier ones, and a chunk
	// without counts keeps them.
	if u, ok := body.UsageMetadata.usage(); ok {
		p.res.Usage, p.res.HasUsage = u, true
	}
	if body.Error != nil {
		p.res.Error = body.Error.apiError(p.status)
	}
	return err
}
