package response

import (
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// responsesField reads one top-level field of a Responses API response (JSON) or of a
// stream event ({"type": "response.completed", "response": {...}}). Usage is reported
// under the API's own names: input_tokens (cached included), output_tokens (reasoning
// included), input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens;
// a stream reports it in its last event's response.
func (p *Parser) responsesField(k, v []byte) error {
	switch string(k) {
	case "type": // a stream event
		switch string(v) {
		case `"response.completed"`, `"response.incomplete"`, `"response.failed"`:
			p.surface.terminal = true
		}
		return nil
	case "response": // a stream event's snapshot of the response
		if jsonscan.IsNull(v) {
			return nil
		}
		var bad error
		err := jsonscan.Fields(v, func(k, v []byte) { bad = firstErr(bad, p.responseMember(k, v)) })
		return firstErr(err, bad)
	}
	return p.responseMember(k, v)
}

// responseMember reads one member of a Response object.
func (p *Parser) responseMember(k, v []byte) error {
	switch string(k) {
	case "id":
		return firstString(&p.res.ID, v)
	case "model":
		return firstModel(&p.res.Model, v)
	case "status":
		// Only a final status is a finish reason: in_progress and queued are not.
		switch string(v) {
		case `"completed"`, `"incomplete"`, `"failed"`, `"cancelled"`:
			return p.addFinishReason(v)
		}
		return nil
	case "usage":
		ok, err := responsesUsage(v, &p.scratch)
		if ok {
			p.scratch.apply(&p.res)
		}
		return err
	case "service_tier":
		return p.openAITier(v)
	case "error":
		return p.apiError(v)
	}
	return nil
}

// responsesUsage reads a Responses API usage object into *r. ok is false for null (the
// events before the last carry "usage": null).
func responsesUsage(v []byte, r *report) (ok bool, err error) {
	*r = report{}
	if jsonscan.IsNull(v) {
		return false, nil
	}
	u := &r.billed
	var bad error
	detail := func(v []byte, key string, dst *int64) {
		if jsonscan.IsNull(v) {
			return
		}
		_, err := jsonscan.CountFields(v, func(k, _ []byte) *int64 {
			if string(k) == key {
				return dst
			}
			return nil
		})
		bad = firstErr(bad, err)
	}
	_, err = jsonscan.CountFields(v, func(k, val []byte) *int64 {
		switch string(k) {
		case "input_tokens":
			return &u.InputTokens
		case "output_tokens":
			return &u.OutputTokens
		case "total_tokens":
			return &r.reported.Total
		case "input_tokens_details":
			detail(val, "cached_tokens", &u.CacheReadInputTokens)
		case "output_tokens_details":
			detail(val, "reasoning_tokens", &u.ReasoningOutputTokens)
		}
		return nil
	})
	if err != nil && err != jsonscan.ErrBadCount {
		return false, err
	}
	return true, firstErr(err, bad)
}
