package response

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

// openAIField reads one top-level field of a chat completion or stream chunk.
func (p *Parser) openAIField(k, v []byte) error {
	switch string(k) {
	case "id":
		return firstString(&p.res.ID, v)
	case "model":
		return firstString(&p.res.Model, v)
	case "choices":
		return p.finishReasons(v, "finish_reason")
	case "usage":
		ok, err := openAIUsage(v, &p.scratch)
		if ok {
			p.openai.usage, p.openai.hasUsage = p.scratch, true
		}
		return err
	case "usage_breakdown":
		return p.breakdown(v)
	case "x_groq":
		if isNull(v) {
			return nil
		}
		var bad error
		err := objectFields(v, func(k, v []byte) {
			var err error
			switch string(k) {
			case "usage":
				var ok bool
				ok, err = openAIUsage(v, &p.scratch)
				if ok {
					p.openai.xgroq, p.openai.hasXGroq = p.scratch, true
				}
			case "usage_breakdown":
				err = p.breakdown(v)
			}
			if bad == nil {
				bad = err
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

// openAIUsage reads a usage object into *u: prompt_tokens includes cached tokens and
// completion_tokens includes reasoning tokens. ok is false when v is null or unreadable.
func openAIUsage(v []byte, u *Usage) (ok bool, err error) {
	*u = Usage{}
	if isNull(v) {
		return false, nil
	}
	var bad error
	details := func(v []byte, key string, dst *int64) {
		_, err := countFields(v, func(k, _ []byte) *int64 {
			if string(k) == key {
				return dst
			}
			return nil
		})
		if bad == nil {
			bad = err
		}
	}
	_, err = countFields(v, func(k, val []byte) *int64 {
		switch string(k) {
		case "prompt_tokens":
			return &u.InputTokens
		case "completion_tokens":
			return &u.OutputTokens
		case "total_tokens":
			return &u.TotalTokens
		case "prompt_tokens_details":
			details(val, "cached_tokens", &u.CacheReadInputTokens)
		case "completion_tokens_details":
			details(val, "reasoning_tokens", &u.ReasoningOutputTokens)
		}
		return nil
	})
	if err != nil && err != errBadCount {
		return false, err
	}
	if err == nil {
		err = bad
	}
	return true, err
}

// breakdown reads Groq compound's usage_breakdown: {"models":[{"model","usage"},...]}.
func (p *Parser) breakdown(v []byte) error {
	if isNull(v) {
		return nil
	}
	var models []ModelUsage
	var bad error
	note := func(err error) {
		if bad == nil {
			bad = err
		}
	}
	err := objectFields(v, func(k, v []byte) {
		if string(k) != "models" || isNull(v) {
			return
		}
		note(arrayElems(v, func(elem []byte) {
			var m ModelUsage
			note(objectFields(elem, func(k, v []byte) {
				switch string(k) {
				case "model":
					note(firstString(&m.Model, v))
				case "usage":
					_, err := openAIUsage(v, &m.Usage)
					note(err)
				}
			}))
			models = append(models, m)
		}))
	})
	if len(models) > 0 {
		p.res.Breakdown = models
	}
	if err != nil {
		return err
	}
	return bad
}

// firstString sets *dst from the JSON string v unless *dst is already set.
func firstString(dst *string, v []byte) error {
	if *dst != "" {
		return nil
	}
	s, err := jsonString(v)
	*dst = s
	return err
}
