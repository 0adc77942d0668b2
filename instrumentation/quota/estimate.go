package quota

import (
	"time"
	_ "time/tzdata" // the Pacific day must work on hosts without zoneinfo

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
	limit         Limit
	rpm, tpm, rpd entry

	buckets                      [windowSeconds]bucket // indexed by Unix second mod windowSeconds
	newest                       int64                 // Unix second the buckets are current to
	minuteRequests, minuteTokens int64                 // sums over buckets

	dayRequests int64
	dayEnd      time.Time // next Pacific midnight; the day count restarts then

	lastCall time.Time
	readings [3]reading // scratch for quotas, so reporting allocates nothing
}

// reading is one configured quota's usage, ready to report.
type reading struct {
	entry       *entry
	limit, used int64
	resetAt     time.Time
}

func newEstimator(provider, model string, l Limit, now time.Time) *estimator {
	state := func(resource, window string) entry {
		return entry{state: State{Provider: provider, Model: model, Resource: resource, Window: window, Source: semconv.SourceEstimate}}
	}
	return &estimator{
		limit:  l,
		rpm:    state(semconv.ResourceRequests, semconv.WindowMinute),
		tpm:    state(semconv.ResourceTokens, semconv.WindowMinute),
		rpd:    state(semconv.ResourceRequests, semconv.WindowDay),
		newest: now.Unix(),
		dayEnd: nextPacificMidnight(now),
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
	if now.After(e.lastCall) {
		e.lastCall = now
	}
}

// quotas returns the usage of each quota the Limit configures. The minute windows are
// full again a minute after the last counted second.
func (e *estimator) quotas() []reading {
	minuteEnd := time.Unix(e.lastCall.Unix()+windowSeconds, 0).UTC()
	r := e.readings[:0]
	if e.limit.RequestsPerMinute > 0 {
		r = append(r, reading{&e.rpm, e.limit.RequestsPerMinute, e.minuteRequests, minuteEnd})
	}
	if e.limit.TokensPerMinute > 0 {
		r = append(r, reading{&e.tpm, e.limit.TokensPerMinute, e.minuteTokens, minuteEnd})
	}
	if e.limit.RequestsPerDay > 0 {
		r = append(r, reading{&e.rpd, e.limit.RequestsPerDay, e.dayRequests, e.dayEnd.UTC()})
	}
	return r
}

// slot is the bucket index of a Unix second, also for seconds before 1970.
func slot(sec int64) int {
	return int((sec%windowSeconds + windowSeconds) % windowSeconds)
}
