package ratelimit

import (
	"math"
	"time"
	_ "time/tzdata" // the Pacific day must work on hosts without zoneinfo

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// pacific is the time zone whose midnight ends Gemini's daily quotas.
var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil { // unreachable with time/tzdata linked in; keep standard time rather than fail
		return time.FixedZone("PST", -8*60*60)
	}
	return loc
}()

// nextPacificMidnight is the first midnight in America/Los_Angeles after t.
func nextPacificMidnight(t time.Time) time.Time {
	y, m, d := t.In(pacific).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, pacific)
}

// windowSeconds is the length of the sliding minute, in one-second buckets.
const windowSeconds = 60

// bucket is what was counted during one second.
type bucket struct{ requests, tokens int64 }

// estimator counts one provider and model's calls against a configured Limit: a
// sliding minute of one-second buckets (constant time per call, fixed memory) and
// a request count for the current Pacific day.
type estimator struct {
	limit         quota.Limit
	rpm, tpm, rpd entry

	buckets                      [windowSeconds]bucket // indexed by Unix second mod windowSeconds
	newest                       int64                 // Unix second the buckets are current to
	minuteRequests, minuteTokens int64                 // sums over buckets

	dayRequests int64
	dayEnd      time.Time // next Pacific midnight; the day count restarts then

	lastCall time.Time
	// The provider said these quotas are exhausted (a 429) until these times,
	// whatever was counted here; zero when it has not.
	rpmExhausted, tpmExhausted, rpdExhausted time.Time
	ashExhausted, asdExhausted               time.Time

	// Audio seconds (speech-to-text), in sliding windows: an hour of one-minute buckets
	// and a day of one-hour buckets.
	audioHour, audioDay slidingSum
	ash, asd            entry
	lastAudio           time.Time

	readings [5]reading // scratch for quotas, so reporting allocates nothing
}

// slidingSum is an amount counted over a sliding window of n buckets of width seconds.
type slidingSum struct {
	width   int64 // seconds per bucket
	buckets []float64
	newest  int64 // bucket index (Unix second / width) the buckets are current to
	sum     float64
}

func newSlidingSum(width int64, n int, now time.Time) slidingSum {
	return slidingSum{width: width, buckets: make([]float64, n), newest: now.Unix() / width}
}

// advance drops the buckets that left the window by now.
func (w *slidingSum) advance(now time.Time) {
	idx := now.Unix() / w.width
	n := int64(len(w.buckets))
	if idx <= w.newest {
		return
	}
	for i := w.newest + 1; i <= min(idx, w.newest+n); i++ {
		b := &w.buckets[((i%n)+n)%n]
		w.sum -= *b
		*b = 0
	}
	w.newest = idx
	if w.sum < 1e-9 { // rounding left over from subtracting what was added
		w.sum = max(w.sum, 0)
	}
}

// add counts amount at now (a clock that went back counts into the newest bucket).
func (w *slidingSum) add(now time.Time, amount float64) {
	w.advance(now)
	n := int64(len(w.buckets))
	w.buckets[((w.newest%n)+n)%n] += amount
	w.sum += amount
}

// reading is one configured quota's usage, ready to report.
type reading struct {
	entry       *entry
	limit, used int64
	resetAt     time.Time
}

func newEstimator(provider semconv.Provider, model string, l quota.Limit, now time.Time) *estimator {
	return &estimator{
		limit:  l,
		rpm:    newEntry(provider, model, semconv.ResourceRequests, semconv.WindowMinute, semconv.SourceEstimate, sliding),
		tpm:    newEntry(provider, model, semconv.ResourceTokens, semconv.WindowMinute, semconv.SourceEstimate, sliding),
		rpd:    newEntry(provider, model, semconv.ResourceRequests, semconv.WindowDay, semconv.SourceEstimate, fixedWindow),
		newest: now.Unix(),
		dayEnd: nextPacificMidnight(now),

		audioHour: newSlidingSum(60, 60, now),
		audioDay:  newSlidingSum(3600, 24, now),
		ash:       newEntry(provider, model, semconv.ResourceAudioSeconds, semconv.WindowHour, semconv.SourceEstimate, sliding),
		asd:       newEntry(provider, model, semconv.ResourceAudioSeconds, semconv.WindowDay, semconv.SourceEstimate, sliding),
	}
}

// countAudio records seconds of audio sent at now.
func (e *estimator) countAudio(now time.Time, seconds float64) {
	e.advance(now)
	e.audioHour.add(now, seconds)
	e.audioDay.add(now, seconds)
	e.ash.rate.add(now, seconds)
	e.asd.rate.add(now, seconds)
	if now.After(e.lastAudio) {
		e.lastAudio = now
	}
}

// advance drops the seconds that left the sliding minute and restarts the day count
// at Pacific midnight. A clock that went back counts into the newest second.
func (e *estimator) advance(now time.Time) {
	if s := now.Unix(); s > e.newest {
		steps := min(s-e.newest, windowSeconds)
		for i := int64(1); i <= steps; i++ {
			b := &e.buckets[slot(e.newest+i)]
			e.minuteRequests -= b.requests
			e.minuteTokens -= b.tokens
			*b = bucket{}
		}
		e.newest = s
	}
	if !now.Before(e.dayEnd) {
		e.dayRequests = 0
		e.dayEnd = nextPacificMidnight(now)
	}
	e.audioHour.advance(now)
	e.audioDay.advance(now)
}

// count records one call using tokens tokens at now.
func (e *estimator) count(now time.Time, tokens int64) {
	e.advance(now)
	tokens = max(tokens, 0)
	b := &e.buckets[slot(e.newest)]
	b.requests++
	b.tokens += tokens
	e.minuteRequests++
	e.minuteTokens += tokens
	e.dayRequests++
	e.rpm.rate.add(now, 1)
	e.tpm.rate.add(now, float64(tokens))
	e.rpd.rate.add(now, 1)
	if now.After(e.lastCall) {
		e.lastCall = now
	}
}

// exhaust marks the quota of resource and window exhausted until the window ends:
// for a minute window at now+retryAfter when the provider gave a delay, else when the
// sliding minute that includes now has passed; for the day window at the next Pacific
// midnight. The caller checks that the Limit configures that quota.
func (e *estimator) exhaust(resource, window string, now time.Time, retryAfter time.Duration) {
	var until *time.Time
	switch {
	case resource == semconv.ResourceRequests && window == semconv.WindowMinute:
		until = &e.rpmExhausted
	case resource == semconv.ResourceTokens && window == semconv.WindowMinute:
		until = &e.tpmExhausted
	case resource == semconv.ResourceRequests && window == semconv.WindowDay:
		until = &e.rpdExhausted
	case resource == semconv.ResourceAudioSeconds && window == semconv.WindowHour:
		until = &e.ashExhausted
	case resource == semconv.ResourceAudioSeconds && window == semconv.WindowDay:
		until = &e.asdExhausted
	default:
		return
	}
	end := nextPacificMidnight(now)
	if window != semconv.WindowDay || resource == semconv.ResourceAudioSeconds {
		// A sliding or refilling window: room again after the provider's delay, else
		// once the window has passed.
		end = now.Add(windowLength(window))
		if retryAfter > 0 {
			end = now.Add(retryAfter)
		}
	}
	if end.After(*until) { // a later 429 never shortens a known exhaustion
		*until = end
	}
}

// quotas returns the usage at now of each quota the Limit configures. The minute
// windows are full again a minute after the last counted second; a quota the provider
// said is exhausted counts as fully used until then.
func (e *estimator) quotas(now time.Time) []reading {
	minuteEnd := time.Unix(e.lastCall.Unix()+windowSeconds, 0).UTC()
	r := e.readings[:0]
	if e.limit.RequestsPerMinute > 0 {
		r = append(r, newReading(&e.rpm, e.limit.RequestsPerMinute, e.minuteRequests, minuteEnd, e.rpmExhausted, now))
	}
	if e.limit.TokensPerMinute > 0 {
		r = append(r, newReading(&e.tpm, e.limit.TokensPerMinute, e.minuteTokens, minuteEnd, e.tpmExhausted, now))
	}
	if e.limit.RequestsPerDay > 0 {
		r = append(r, newReading(&e.rpd, e.limit.RequestsPerDay, e.dayRequests, e.dayEnd, e.rpdExhausted, now))
	}
	// Audio windows are full again a window after the last audio counted.
	if e.limit.AudioSecondsPerHour > 0 {
		r = append(r, newReading(&e.ash, e.limit.AudioSecondsPerHour, wholeSeconds(e.audioHour.sum), e.lastAudio.Add(time.Hour), e.ashExhausted, now))
	}
	if e.limit.AudioSecondsPerDay > 0 {
		r = append(r, newReading(&e.asd, e.limit.AudioSecondsPerDay, wholeSeconds(e.audioDay.sum), e.lastAudio.Add(24*time.Hour), e.asdExhausted, now))
	}
	return r
}

// newReading is a quota's reading at now: used and resetAt as counted, unless the
// provider said the quota is exhausted until a time after now.
func newReading(en *entry, limit, used int64, resetAt, exhaustedUntil, now time.Time) reading {
	if now.Before(exhaustedUntil) {
		used = max(used, limit)
		if exhaustedUntil.After(resetAt) {
			resetAt = exhaustedUntil
		}
	}
	return reading{en, limit, used, resetAt.UTC()}
}

// wholeSeconds rounds counted audio up to whole seconds, as a quota counts them: a
// started second is used.
func wholeSeconds(s float64) int64 {
	return int64(math.Ceil(s - 1e-9))
}

// slot is the bucket index of a Unix second, also for seconds before 1970.
func slot(sec int64) int {
	return int((sec%windowSeconds + windowSeconds) % windowSeconds)
}
