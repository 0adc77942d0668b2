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
			note(p.firstString(&p.res.Model, v))
		case "responseId":
			note(p.firstString(&p.res.ID, v))
		case "candidates":
			note(p.finishReasons(v, "finishReason"))
		case "usageMetadata":
			// Stream usage is cumulative: the latest counts replace earlier ones, and a
			// chunk without counts keeps them.
			u, ok, err := geminiUsage(v)
			note(err)
			if ok {
				p.res.Usage, p.res.HasUsage = u, true
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

// geminiUsage reads usageMetadata and converts it to billed semantics: tool-use prompt
// tokens are billed as input and thoughts as output. ok is false when v has no counts.
func geminiUsage(v []byte) (u Usage, ok bool, err error) {
	if isNull(v) {
		return Usage{}, false, nil
	}
	var cached int64
	err = objectFields(v, func(k, val []byte) {
		var dst *int64
		switch string(k) {
		case "promptTokenCount": // includes cached
			dst = &u.PromptTokens
		case "candidatesTokenCount": // excludes thoughts
			dst = &u.CandidatesTokens
		case "thoughtsTokenCount":
			dst = &u.ThoughtsTokens
		case "toolUsePromptTokenCount":
			dst = &u.ToolUsePromptTokens
		case "totalTokenCount":
			dst = &u.TotalTokens
		case "cachedContentTokenCount":
			dst = &cached
		default:
			return
		}
		n, valid := jsonCount(val)
		if !valid {
			if err == nil && !isNull(val) {
				err = errInvalid
			}
			return
		}
		*dst, ok = n, true
	})
	if err != nil && err != errInvalid {
		return Usage{}, false, err
	}
	u.CacheReadInputTokens = cached
	u.InputTokens = u.PromptTokens + u.ToolUsePromptTokens
	u.OutputTokens = u.CandidatesTokens + u.ThoughtsTokens
	u.ReasoningOutputTokens = u.ThoughtsTokens
	return u, ok, err
}
