package response

import (
	"github.com/aiusage/aiusage/instrumentation/internal/intern"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// openAIState keeps Groq's two usage reports apart: a stream may carry x_groq.usage and,
// with stream_options.include_usage, a top-level usage for the same call. One is taken,
// never their sum.
type openAIState struct {
	top, xgroq       report
	hasTop, hasXGroq bool
}

func (s *openAIState) apply(r *Result) {
	switch {
	case s.hasTop:
		s.top.apply(r)
	case s.hasXGroq:
		s.xgroq.apply(r)
	}
}

// openAIField reads one top-level field of a chat completion or stream chunk.
func (p *Parser) openAIField(k, v []byte) error {
	switch string(k) {
	case "id":
		return firstString(&p.res.ID, v)
	case "model":
		return firstModel(&p.res.Model, v)
	case "choices":
		return p.finishReasons(v, "finish_reason")
	case "usage":
		ok, err := openAIUsage(v, &p.scratch)
		if ok {
			p.openai.top, p.openai.hasTop = p.scratch, true
		}
		return err
	case "usage_breakdown":
		return p.breakdown(v)
	case "service_tier":
		return p.openAITier(v)
	case "x_groq":
		if jsonscan.IsNull(v) {
			return nil
		}
		var bad error
		err := jsonscan.Fields(v, func(k, v []byte) {
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

// openAIUsage reads a usage object into *r: prompt_tokens includes cached tokens and
// completion_tokens includes reasoning tokens, as the billed units do. ok is false when
// v is null or unreadable.
func openAIUsage(v []byte, r *report) (ok bool, err error) {
	*r = report{}
	u := &r.billed
	if jsonscan.IsNull(v) {
		return false, nil
	}
	var bad error
	details := func(v []byte, key string, dst *int64) {
		_, err := jsonscan.CountFields(v, func(k, _ []byte) *int64 {
			if string(k) == key {
				return dst
			}
			return nil
		})
		if bad == nil {
			bad = err
		}
	}
	_, err = jsonscan.CountFields(v, func(k, val []byte) *int64 {
		switch string(k) {
		case "prompt_tokens":
			return &u.InputTokens
		case "completion_tokens":
			return &u.OutputTokens
		case "total_tokens":
			return &r.reported.Total
		case "prompt_tokens_details":
			details(val, "cached_tokens", &u.CacheReadInputTokens)
		case "completion_tokens_details":
			details(val, "reasoning_tokens", &u.ReasoningOutputTokens)
		}
		return nil
	})
	if err != nil && err != jsonscan.ErrBadCount {
		return false, err
	}
	if err == nil {
		err = bad
	}
	return true, err
}

// breakdown reads Groq compound's usage_breakdown: {"models":[{"model","usage"},...]}.
func (p *Parser) breakdown(v []byte) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	var models []usage.ModelUsage
	var bad error
	note := func(err error) {
		if bad == nil {
			bad = err
		}
	}
	err := jsonscan.Fields(v, func(k, v []byte) {
		if string(k) != "models" || jsonscan.IsNull(v) {
			return
		}
		note(jsonscan.Elements(v, func(elem []byte) {
			var m usage.ModelUsage
			note(jsonscan.Fields(elem, func(k, v []byte) {
				switch string(k) {
				case "model":
					note(firstModel(&m.Model, v))
				case "usage":
					var r report
					_, err := openAIUsage(v, &r)
					m.Usage = r.billed
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
	s, err := jsonscan.String(v)
	*dst = s
	return err
}

// firstModel is firstString for a model name: one of a few that every call repeats,
// kept once rather than copied from each body.
func firstModel(dst *string, v []byte) error {
	if *dst != "" {
		return nil
	}
	s, err := intern.JSON(v)
	*dst = s
	return err
}
