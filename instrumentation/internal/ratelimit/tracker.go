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

// DefaultHorizon is how far ahead a predicted exhaustion alerts unless Options says otherwise.
const DefaultHorizon = 5 * time.Minute

// maxKeys bounds how many (provider, model) pairs each source tracks, so that a stream
// of made-up model names cannot grow memory without limit; pairs beyond it are ignored.
const maxKeys = 1024

// perWindow returns l's quota of resource (semconv.ResourceRequests, ResourceTokens or
// ResourceAudioSeconds) per window (semconv.WindowMinute, WindowHour or WindowDay); 0
// when l sets none.
func perWindow(l quota.Limit, resource, window string) int64 {
	switch {
	case resource == semconv.ResourceAudioSeconds && window == semconv.WindowHour:
		return l.AudioSecondsPerHour
	case resource == semconv.ResourceAudioSeconds && window == semconv.WindowDay:
		return l.AudioSecondsPerDay
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
	// Horizon is how far ahead a predicted exhaustion fires OnAlert (quota.AlertForecast),
	// once per window; 0 means DefaultHorizon, a negative value turns it off.
	Horizon time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// modelKey identifies what quotas are kept for.
type modelKey struct {
	provider semconv.Provider
	model    string
}

// entry is one reported State, its consumption rate and its alert arming.
type entry struct {
	state   quota.State
	alerted bool // fired and not yet re-armed by a reading below the threshold

	kind refill
	rate rate
	// The previous reading of a bucket, to tell what was consumed since.
	primed                   bool
	prevLimit, prevRemaining int64
	prevAt                   time.Time
	// forecastRearm is when a forecast alert may fire again: the reset of the window
	// the last one fired for.
	forecastRearm time.Time
}

func newEntry(provider semconv.Provider, model, resource, window, source string, kind refill) entry {
	return entry{
		state: quota.State{Provider: provider, Model: model, Resource: resource, Window: window, Source: source},
		kind:  kind,
		rate:  newRate(window),
	}
}

// update records a reading and appends the alerts it fires: the utilization alert on
// crossing the threshold, the forecast alert on a predicted exhaustion within horizon.
// readAt is when remaining was true (now, for a count).
func (e *entry) update(limit, remaining int64, resetAt, now time.Time, t *Tracker, alerts []quota.Alert) []quota.Alert {
	e.state.Limit, e.state.Remaining = limit, remaining
	e.state.Utilization = utilization(limit, remaining)
	e.state.ResetAt, e.state.UpdatedAt = resetAt, now
	if t.onAlert == nil {
		return alerts // States forecasts when asked
	}
	if e.state.Utilization < t.threshold {
		e.alerted = false
	} else if !e.alerted {
		e.alerted = true
		alerts = append(alerts, quota.Alert{State: e.state, Reason: quota.AlertUtilization, Threshold: t.threshold})
	}
	if t.horizon > 0 {
		forecast(&e.state, e.kind, &e.rate, now, now)
		if a, ok := e.forecastAlert(&e.state, now, t.horizon, t.threshold); ok {
			alerts = append(alerts, a)
		}
	}
	return alerts
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
	// Audio seconds, per hour as Groq reports them, per day when the headers said so.
	audioHour, audioDay       entry
	hasAudioHour, hasAudioDay bool
}

// audio returns the audio-seconds entry of window and marks it seen.
func (e *headerEntry) audio(window string) *entry {
	if window == semconv.WindowDay {
		e.hasAudioDay = true
		return &e.audioDay
	}
	e.hasAudioHour = true
	return &e.audioHour
}

// Tracker keeps the quota state of every provider and model seen: from response headers
// where the provider sends them, estimated from counted calls against configured Limits
// where it does not. It is safe for concurrent use and cheap enough to call on every
// request: an observation takes one lock and one or two map lookups and allocates
// nothing once a model has been seen. Create one with NewTracker.
type Tracker struct {
	now       func() time.Time
	threshold float64
	horizon   time.Duration // <= 0: no forecast alerts
	onAlert   func(quota.Alert)
	limits    map[modelKey]quota.Limit // read-only after NewTracker

	mu        sync.Mutex
	headers   map[modelKey]*headerEntry
	estimates map[modelKey]*estimator
	refusals  map[modelKey]*waitOrder // the last 429 with a retry delay, per model
}

// NewTracker returns a Tracker configured by o.
func NewTracker(o Options) *Tracker {
	t := &Tracker{
		now:       o.Now,
		threshold: o.Threshold,
		horizon:   o.Horizon,
		onAlert:   o.OnAlert,
		limits:    make(map[modelKey]quota.Limit, len(o.Limits)),
		headers:   make(map[modelKey]*headerEntry),
		estimates: make(map[modelKey]*estimator),
		refusals:  make(map[modelKey]*waitOrder),
	}
	if t.horizon == 0 {
		t.horizon = DefaultHorizon
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
// Groq's requests per day, tokens per minute and audio seconds per hour.
func (t *Tracker) ObserveHeaders(provider semconv.Provider, model string, h Headers) {
	if !h.HasRequests && !h.HasTokens && !h.HasAudioSeconds {
		return
	}
	now := t.now()
	var buf [4]quota.Alert
	alerts := buf[:0]
	t.mu.Lock()
	e := t.headers[modelKey{provider, model}]
	if e == nil {
		if len(t.headers) >= maxKeys {
			t.mu.Unlock()
			return
		}
		e = &headerEntry{
			requests:  newEntry(provider, model, semconv.ResourceRequests, semconv.WindowDay, semconv.SourceHeader, refilling),
			tokens:    newEntry(provider, model, semconv.ResourceTokens, semconv.WindowMinute, semconv.SourceHeader, refilling),
			audioHour: newEntry(provider, model, semconv.ResourceAudioSeconds, semconv.WindowHour, semconv.SourceHeader, refilling),
			audioDay:  newEntry(provider, model, semconv.ResourceAudioSeconds, semconv.WindowDay, semconv.SourceHeader, refilling),
		}
		t.headers[modelKey{provider, model}] = e
	}
	if h.HasRequests {
		e.hasRequests = true
		alerts = e.requests.observeHeader(h.RequestsLimit, h.RequestsRemaining, resetAt(now, h.RequestsReset), now, t, alerts)
	}
	if h.HasTokens {
		e.hasTokens = true
		alerts = e.tokens.observeHeader(h.TokensLimit, h.TokensRemaining, resetAt(now, h.TokensReset), now, t, alerts)
	}
	if h.HasAudioSeconds {
		alerts = e.audio(h.AudioWindow).observeHeader(h.AudioSecondsLimit, h.AudioSecondsRemaining, resetAt(now, h.AudioSecondsReset), now, t, alerts)
	}
	t.mu.Unlock()
	t.fire(alerts)
}

// observeHeader records a header reading: what the provider deducted since the last one
// feeds the rate, then the reading is the state.
func (e *entry) observeHeader(limit, remaining int64, resetAt, now time.Time, t *Tracker, alerts []quota.Alert) []quota.Alert {
	if amount, ok := e.consumed(limit, remaining, now); ok {
		e.rate.add(now, amount)
	}
	return e.update(limit, remaining, resetAt, now, t, alerts)
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
	t.observe(provider, model, limit, func(e *estimator, now time.Time) { e.count(now, tokens) })
}

// ObserveAudio counts seconds of audio sent to model (speech-to-text) toward the
// estimated audio-seconds quotas of its provider, per hour and per day. It does nothing
// for a provider and model without a configured Limit.
func (t *Tracker) ObserveAudio(provider semconv.Provider, model string, seconds float64) {
	limit, ok := t.limit(provider, model)
	if !ok || limit.AudioSecondsPerHour == 0 && limit.AudioSecondsPerDay == 0 || !(seconds > 0) {
		return
	}
	t.observe(provider, model, limit, func(e *estimator, now time.Time) { e.countAudio(now, seconds) })
}

// observe applies count to the estimates of provider and model under limit and fires
// the alerts the new readings raise.
func (t *Tracker) observe(provider semconv.Provider, model string, limit quota.Limit, count func(*estimator, time.Time)) {
	now := t.now()
	t.mu.Lock()
	e := t.estimator(provider, model, limit, now)
	if e == nil {
		t.mu.Unlock()
		return
	}
	count(e, now)
	var buf [6]quota.Alert
	alerts := t.updateEstimates(e, now, buf[:0])
	t.mu.Unlock()
	t.fire(alerts)
}

// ObserveExceeded records that the provider refused a call to model (a 429) because
// its quota of resource (semconv.ResourceRequests or ResourceTokens) per window
// (semconv.WindowMinute or WindowDay) is used up. The provider's word beats the local
// count, which misses other clients of the same project and limits the provider
// changed: the estimated quota reports Remaining 0 (or less, if more was counted)
// until the window ends, firing an alert as any reading at the threshold does.
// A minute window ends after retryAfter when it is positive, else a minute from now;
// the day window ends at the next Pacific midnight. Counting goes on meanwhile, and
// afterwards the estimate is the counted usage again. It changes no estimate for a
// provider and model without a configured Limit for that resource and window: the
// tracker does not guess the provider's limit. A positive retryAfter is kept for the
// quota guard (Refusal) whatever the limits.
func (t *Tracker) ObserveExceeded(provider semconv.Provider, model, resource, window string, retryAfter time.Duration) {
	now := t.now()
	if retryAfter > 0 {
		t.mu.Lock()
		t.refuseUntil(modelKey{provider, model}, resource, window, now, retryAfter)
		t.mu.Unlock()
	}
	limit, ok := t.limit(provider, model)
	if !ok || perWindow(limit, resource, window) <= 0 {
		return
	}
	t.mu.Lock()
	e := t.estimator(provider, model, limit, now)
	if e == nil {
		t.mu.Unlock()
		return
	}
	e.advance(now)
	e.exhaust(resource, window, now, retryAfter)
	var buf [6]quota.Alert
	alerts := t.updateEstimates(e, now, buf[:0])
	t.mu.Unlock()
	t.fire(alerts)
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

// updateEstimates records e's readings at now and appends the alerts they fire.
// t.mu must be held.
func (t *Tracker) updateEstimates(e *estimator, now time.Time, alerts []quota.Alert) []quota.Alert {
	for _, q := range e.quotas(now) {
		alerts = q.entry.update(q.limit, q.limit-q.used, q.resetAt, now, t, alerts)
	}
	return alerts
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
	out := make([]quota.State, 0, 2*len(t.headers)+len(t.estimates)*len(estimator{}.readings))
	for _, e := range t.headers {
		if e.hasRequests {
			out = append(out, e.requests.headerState(now))
		}
		if e.hasTokens {
			out = append(out, e.tokens.headerState(now))
		}
		if e.hasAudioHour {
			out = append(out, e.audioHour.headerState(now))
		}
		if e.hasAudioDay {
			out = append(out, e.audioDay.headerState(now))
		}
	}
	for _, e := range t.estimates {
		e.advance(now)
		for _, q := range e.quotas(now) {
			s := q.entry.state
			s.Remaining = q.limit - q.used
			s.Utilization = utilization(q.limit, s.Remaining)
			s.ResetAt = q.resetAt
			forecast(&s, q.entry.kind, &q.entry.rate, now, now)
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

// headerState is a header quota's state at now, forecast included: full once the
// provider's reset time has passed.
func (e *entry) headerState(now time.Time) quota.State {
	s := e.state
	readAt := s.UpdatedAt
	if !s.ResetAt.IsZero() && !now.Before(s.ResetAt) && s.Limit > 0 {
		s.Remaining = s.Limit
		s.Utilization = 0
		readAt = now
	}
	forecast(&s, e.kind, &e.rate, readAt, now)
	return s
}

// Now is the tracker's clock.
func (t *Tracker) Now() time.Time { return t.now() }
