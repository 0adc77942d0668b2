package response

// geminiField reads one top-level field of a GenerateContentResponse or stream chunk.
func (p *Parser) geminiField(k, v []byte) error {
	switch string(k) {
	case "modelVersion":
		return firstString(&p.res.Model, v)
	case "responseId":
		return firstString(&p.res.ID, v)
	case "candidates":
		return p.finishReasons(v, "finishReason")
	case "usageMetadata":
		// Stream usage is cumulative: the latest counts replace earlier ones, and a
		// chunk without counts keeps them.
		ok, err := geminiUsage(v, &p.scratch)
		if ok {
			p.res.Usage, p.res.HasUsage = p.scratch, true
		}
		return err
	case "error":
		return p.apiError(v)
	}
	return nil
}

// geminiUsage reads usageMetadata into *u, converted to billed semantics: tool-use prompt
// tokens are billed as input and thoughts as output. ok is false when v has no counts.
func geminiUsage(v []byte, u *Usage) (ok bool, err error) {
	*u = Usage{}
	if isNull(v) {
		return false, nil
	}
	n, err := countFields(v, func(k, _ []byte) *int64 {
		switch string(k) {
		case "promptTokenCount": // includes cached
			return &u.PromptTokens
		case "candidatesTokenCount": // excludes thoughts
			return &u.CandidatesTokens
		case "thoughtsTokenCount":
			return &u.ThoughtsTokens
		case "toolUsePromptTokenCount":
			return &u.ToolUsePromptTokens
		case "totalTokenCount":
			return &u.TotalTokens
		case "cachedContentTokenCount":
			return &u.CacheReadInputTokens
		}
		return nil
	})
	if err != nil && err != errBadCount {
		return false, err
	}
	u.InputTokens = u.PromptTokens + u.ToolUsePromptTokens
	u.OutputTokens = u.CandidatesTokens + u.ThoughtsTokens
	u.ReasoningOutputTokens = u.ThoughtsTokens
	return n > 0, err
}
