package ratelimit

import (
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// waitOrder is a 429 that said how long to wait, for one model.
type waitOrder struct {
	resource, window string
	at, until        time.Time
}

// refuseUntil keeps a 429's retry delay for the guard; the newest 429 wins. t.mu must
// be held.
func (t *Tracker) refuseUntil(k modelKey, resource, window string, now time.Time, delay time.Duration) {
	r := t.refusals[k]
	if r == nil {
		if len(t.refusals) >= maxKeys {
			return
		}
		r = &waitOrder{}
		t.refusals[k] = r
	}
	*r = waitOrder{resource: resource, window: window, at: now, until: now.Add(delay)}
}

// Refusal is why the quota guard refuses a call: the quota that is used up, how that
// is known, and when it has room again.
type Refusal struct {
	Resource, Window string
	// Source is semconv.SourceHeader (the provider's headers said 0 remaining),
	// quota.SourceRetryAfter (a 429's retry delay is still running) or
	// semconv.SourceEstimate (the local count, only with quota.Guard.Estimates).
	Source string
	// Until is when the quota has room again, by that source.
	Until time.Time
}

// Refuse reports whether, by g's rules, a call to provider and model cannot succeed now:
// the provider's headers said no request is left until a known time, or a 429 told to
// wait and the wait is not over; with g.Estimates also a local estimate used up until
// its window resets. The provider's word counts only while it is at most g.MaxAge old.
// Of several reasons the one lasting longest is returned.
func (t *Tracker) Refuse(provider semconv.Provider, model string, g quota.Guard) (Refusal, bool) {
	maxAge := g.MaxAge
	if maxAge <= 0 {
		maxAge = quota.DefaultGuardMaxAge
	}
	now := t.now()
	var out Refusal
	found := false
	consider := func(r Refusal) {
		if !found || r.Until.After(out.Until) {
			out, found = r, true
		}
	}
	k := modelKey{provider, model}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.refusals[k]; r != nil && now.Before(r.until) && now.Sub(r.at) <= maxAge {
		consider(Refusal{Resource: r.resource, Window: r.window, Source: quota.SourceRetryAfter, Until: r.until})
	}
	if h := t.headers[k]; h != nil && h.hasRequests && now.Sub(h.requests.state.UpdatedAt) <= maxAge {
		if until, ok := h.requests.emptyUntil(now); ok {
			consider(Refusal{Resource: semconv.ResourceRequests, Window: h.requests.state.Window, Source: semconv.SourceHeader, Until: until})
		}
	}
	if e := t.estimates[k]; g.Estimates && e != nil {
		e.advance(now)
		for _, q := range e.quotas(now) {
			if q.used >= q.limit && now.Before(q.resetAt) {
				consider(Refusal{Resource: q.entry.state.Resource, Window: q.entry.state.Window, Source: semconv.SourceEstimate, Until: q.resetAt})
			}
		}
	}
	return out, found
}

// emptyUntil is when a header bucket read as empty has its first unit back: it refills
// one unit every window length / limit and is full at ResetAt, so the first unit comes
// back limit-1 units before that. Groq's token bucket is not asked: a token comes back
// within milliseconds.
func (e *entry) emptyUntil(now time.Time) (time.Time, bool) {
	s := &e.state
	if s.Remaining > 0 || s.Limit <= 0 || s.ResetAt.IsZero() {
		return time.Time{}, false
	}
	interval := windowLength(s.Window) / time.Duration(s.Limit)
	until := s.ResetAt.Add(-time.Duration(s.Limit-1) * interval)
	return until, until.After(now)
}
