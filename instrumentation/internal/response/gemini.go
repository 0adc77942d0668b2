package response

// gemini reads a GenerateContentResponse or one stream chunk.
func (p *Parser) gemini(b []byte) error {
	var bad error
	note := func(err error) {
		if bad == nil {
			bad = err
		}
	}
	err := objectFields(b, func(k, v []byte) {
		switch string(k) {
		case "modelVersion":
			note(firstString(&p.res.Model, v))
		case "responseId":
			note(firstString(&p.res.ID, v))
		case "candidates":
			note(p.finishReasons(v, "finishReason"))
		case "usageMetadata":
			// Stream usage is cumulative: the latest counts replace earlier ones, and a
			// chunk without counts keeps them.
			ok, err := geminiUsage(v, &p.scratch)
			note(err)
			if ok {
				p.res.Usage, p.res.HasUsage = p.scratch, true
			}
		case "error":
			note(p.apiError(v))
		}
	})
	if err != nil {
		return err
	}
	return bad
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
