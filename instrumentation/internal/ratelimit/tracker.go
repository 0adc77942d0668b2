package ratelimit

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// DefaultThreshold is the utilization at which an alert fires unless Options says otherwise.
const DefaultThreshold = 0.9

// maxKeys bounds how many (provider, model) pairs each source tracks, so that a stream
// of made-up model names cannot grow memory without limit; pairs beyond it are ignored.
const maxKeys = 1024

// perWindow returns l's quota of resource (semconv.ResourceRequests or ResourceTokens)
// per window (semconv.WindowMinute or WindowDay); 0 when l sets none.
func perWindow(l quota.Limit, resource, window string) int64 {
	switch {
	case resource == semconv.ResourceRequests && window == semconv.WindowMinute:
		return l.RequestsPerMinute
	case resource == semconv.ResourceTokens && window == semconv.WindowMinute:
		return l.TokensPerMinute
	case resource == semconv.ResourceRequests && window == semconv.WindowDay:
		return l.RequestsPerDay
	}
	return 0
}

// Options configure a Tracker.
type Options struct {
	// Limits are the quotas estimated from counted calls. A later Limit for the same
	// provider and model replaces an earlier one; a Limit that fails Validate is
	// ignored, so callers taking limits from users should validate them first.
	Limits []quota.Limit
	// Threshold is the utilization that fires OnAlert; 0 means DefaultThreshold.
	Threshold float64
	// OnAlert is called once for each provider, model, resource, window and source
	// when its utilization rises to Threshold or above, and again only after an
	// observation below Threshold. It runs on the observing goroutine, outside the
	// tracker's lock, so it must be quick; it may call the tracker.
	OnAlert func(quota.Alert)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// modelKey identifies what quotas are kept for.
type modelKey struct {
	provider semconv.Provider
	model    string
}

// entry is one reported State and its alert arming.
type entry struct {
	state   quota.State
	alerted bool // fired and not yet re-armed by a reading below the threshold
}

// update records a reading and returns the alert it fires, if any.
func (e *entry) update(limit, remaining int64, resetAt, now time.Time, threshold float64) (quota.Alert, bool) {
	e.state.Limit, e.state.Remaining = limit, remaining
	e.state.Utilization = utilization(limit, remaining)
	e.state.ResetAt, e.state.UpdatedAt = resetAt, now
	if e.state.Utilization < threshold {
		e.alerted = false
		return quota.Alert{}, false
	}
	if e.alerted {
		return quota.Alert{}, false
	}
	e.alerted = true
	return quota.Alert{State: e.state, Threshold: threshold}, true
}

func utilization(limit, remaining int64) float64 {
	if limit <= 0 {
		return 1 // a zero quota is no access at all
	}
	return float64(limit-remaining) / float64(limit)
}

// headerEntry holds what a provider's headers said for one model.
type headerEntry struct {
	requests, tokens entry
	hasRequests      bool
	hasTokens        bool
}

// Tracker keeps the quota state of every provider and model seen: from response headers
// where the provider sends them, estimated from counted calls against configured Limits
// where it does not. It is safe for concurrent use and cheap enough to call on every
// request: an observation takes one lock and one or two map lookups and allocates
// nothing once a model has been seen. Create one with NewTracker.
type Tracker struct {
	now       func() time.Time
	threshold float64
	onAlert   func(quota.Alert)
	limits    map[modelKey]quota.Limit // read-only after NewTracker

	mu        sync.Mutex
	headers   map[modelKey]*headerEntry
	estimates map[modelKey]*estimator
}

// NewTracker returns a Tracker configured by o.
func NewTracker(o Options) *Tracker {
	t := &Tracker{
		now:       o.Now,
		threshold: o.Threshold,
		onAlert:   o.OnAlert,
		limits:    make(map[modelKey]quota.Limit, len(o.Limits)),
		headers:   make(map[modelKey]*headerEntry),
		estimates: make(map[modelKey]*estimator),
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.threshold <= 0 || math.IsNaN(t.threshold) {
		t.threshold = DefaultThreshold
	}
	for _, l := range o.Limits {
		if l.Validate() != nil {
			continue
		}
		t.limits[modelKey{l.Provider, l.Model}] = l
	}
	return t
}

// ObserveHeaders records the quota a provider's response headers reported for model:
// Groq's requests per day and tokens per minute.
func (t *Tracker) ObserveHeaders(provider semconv.Provider, model string, h Headers) {
	if !h.HasRequests && !h.HasTokens {
		return
	}
	now := t.now()
	var alerts [2]quota.Alert
	n := 0
	t.mu.Lock()
	e := t.headers[modelKey{provider, model}]
	if e == nil {
		if len(t.headers) >= maxKeys {
			t.mu.Unlock()
			return
		}
		e = &headerEntry{
			requests: entry{state: quota.State{Provider: provider, Model: model, Resource: semconv.ResourceRequests, Window: semconv.WindowDay, Source: semconv.SourceHeader}},
			tokens:   entry{state: quota.State{Provider: provider, Model: model, Resource: semconv.ResourceTokens, Window: semconv.WindowMinute, Source: semconv.SourceHeader}},
		}
		t.headers[modelKey{provider, model}] = e
	}
	if h.HasRequests {
		e.hasRequests = true
		if a, ok := e.requests.update(h.RequestsLimit, h.RequestsRemaining, resetAt(now, h.RequestsReset), now, t.threshold); ok {
			alerts[n], n = a, n+1
		}
	}
	if h.HasTokens {
		e.hasTokens = true
		if a, ok := e.tokens.update(h.TokensLimit, h.TokensRemaining, resetAt(now, h.TokensReset), now, t.threshold); ok {
			alerts[n], n = a, n+1
		}
	}
	t.mu.Unlock()
	t.fire(alerts[:n])
}

// resetAt is when a header window refills; zero (unknown) when the provider sent no
// usable reset, so the reading is not taken for an already refilled window.
func resetAt(now time.Time, reset time.Duration) time.Time {
	if reset <= 0 {
		return time.Time{}
	}
	return now.Add(reset)
}

// ObserveCall counts one call to model using tokens tokens toward the estimated quotas
// of its provider: requests per minute and per Pacific day, and tokens per minute
// (for Gemini: the call's input tokens, which is what its per-minute token quota
// counts). It does nothing for a provider and model without a configured Limit.
func (t *Tracker) ObserveCall(provider semconv.Provider, model string, tokens int64) {
	limit, ok := t.limit(provider, model)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	e := t.estimator(provider, model, limit, now)
	if e == nil {
		t.mu.Unlock()
		return
	}
	e.count(now, tokens)
	alerts, n := t.updateEstimates(e, now)
	t.mu.Unlock()
	t.fire(alerts[:n])
}

// ObserveExceeded records that the provider refused a call to model (a 429) because
// its quota of resource (semconv.ResourceRequests or ResourceTokens) per window
// (semconv.WindowMinute or WindowDay) is used up. The provider's word beats the local
// count, which misses other clients of the same project and limits the provider
// changed: the estimated quota reports Remaining 0 (or less, if more was counted)
// until the window ends, firing an alert as any reading at the threshold does.
// A minute window ends after retryAfter when it is positive, else a minute from now;
// the day window ends at the next Pacific midnight. Counting goes on meanwhile, and
// afterwards the estimate is the counted usage again. It does nothing for a provider
// and model without a configured Limit for that resource and window: the tracker
// does not guess the provider's limit.
func (t *Tracker) ObserveExceeded(provider semconv.Provider, model, resource, window string, retryAfter time.Duration) {
	limit, ok := t.limit(provider, model)
	if !ok || perWindow(limit, resource, window) <= 0 {
		return
	}
	now := t.now()
	t.mu.Lock()
	e := t.estimator(provider, model, limit, now)
	if e == nil {
		t.mu.Unlock()
		return
	}
	e.advance(now)
	e.exhaust(resource, window, now, retryAfter)
	alerts, n := t.updateEstimates(e, now)
	t.mu.Unlock()
	t.fire(alerts[:n])
}

// limit returns the configured Limit of provider and model: the model's own, else
// the provider's catch-all.
func (t *Tracker) limit(provider semconv.Provider, model string) (quota.Limit, bool) {
	if len(t.limits) == 0 {
		return quota.Limit{}, false
	}
	if l, ok := t.limits[modelKey{provider, model}]; ok {
		return l, true
	}
	l, ok := t.limits[modelKey{provider, ""}]
	return l, ok
}

// estimator returns the estimator of provider and model, creating it for limit,
// or nil when maxKeys are already tracked. t.mu must be held.
func (t *Tracker) estimator(provider semconv.Provider, model string, limit quota.Limit, now time.Time) *estimator {
	e := t.estimates[modelKey{provider, model}]
	if e == nil {
		if len(t.estimates) >= maxKeys {
			return nil
		}
		e = newEstimator(provider, model, limit, now)
		t.estimates[modelKey{provider, model}] = e
	}
	return e
}

// updateEstimates records e's readings at now and returns the alerts they fire.
// t.mu must be held.
func (t *Tracker) updateEstimates(e *estimator, now time.Time) (alerts [3]quota.Alert, n int) {
	for _, q := range e.quotas(now) {
		if a, ok := q.entry.update(q.limit, q.limit-q.used, q.resetAt, now, t.threshold); ok {
			alerts[n], n = a, n+1
		}
	}
	return alerts, n
}

func (t *Tracker) fire(alerts []quota.Alert) {
	if t.onAlert == nil {
		return
	}
	for _, a := range alerts {
		t.onAlert(a)
	}
}

// States returns the current quota of everything tracked, sorted by provider, model,
// resource, window and source. A header quota whose reset time has passed is reported
// full; estimates are brought up to the current time.
func (t *Tracker) States() []quota.State {
	now := t.now()
	t.mu.Lock()
	out := make([]quota.State, 0, 2*len(t.headers)+3*len(t.estimates))
	for _, e := range t.headers {
		if e.hasRequests {
			out = append(out, refilled(e.requests.state, now))
		}
		if e.hasTokens {
			out = append(out, refilled(e.tokens.state, now))
		}
	}
	for _, e := range t.estimates {
		e.advance(now)
		for _, q := range e.quotas(now) {
			s := q.entry.state
			s.Remaining = q.limit - q.used
			s.Utilization = utilization(q.limit, s.Remaining)
			s.ResetAt = q.resetAt
			out = append(out, s)
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b quota.State) int {
		return cmp.Or(
			cmp.Compare(a.Provider, b.Provider),
			cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Window, b.Window),
			cmp.Compare(a.Source, b.Source),
		)
	})
	return out
}

// refilled reports a header state as full once the provider's reset time has passed.
func refilled(s quota.State, now time.Time) quota.State {
	if !s.ResetAt.IsZero() && !now.Before(s.ResetAt) && s.Limit > 0 {
		s.Remaining = s.Limit
		s.Utilization = 0
	}
	return s
}
