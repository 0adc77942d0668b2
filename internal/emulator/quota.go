package emulator

import (
	"time"
	_ "time/tzdata" // Gemini's day is a Pacific day, wherever the emulator runs
)

// bucket is a refilling bucket (the generic cell rate algorithm): limit units that refill
// evenly over period, one every interval. Groq's limits behave this way: with 1000 requests
// per day one request comes back every 1m26.4s, and x-ratelimit-reset-* is the time until
// the bucket is full again.
type bucket struct {
	limit    int64
	interval time.Duration
	full     time.Time // when the bucket is full again; in the past means full now
}

func newBucket(limit int, period time.Duration) *bucket {
	return &bucket{limit: int64(limit), interval: max(period/time.Duration(limit), 1)}
}

// deficit is how long until the bucket is full.
func (b *bucket) deficit(now time.Time) time.Duration {
	return max(b.full.Sub(now), 0)
}

// state returns the whole units left and the time until the bucket is full.
func (b *bucket) state(now time.Time) (remaining int64, reset time.Duration) {
	d := b.deficit(now)
	used := (int64(d) + int64(b.interval) - 1) / int64(b.interval)
	return b.limit - used, d
}

// used returns the units currently taken.
func (b *bucket) used(now time.Time) int64 {
	remaining, _ := b.state(now)
	return b.limit - remaining
}

// take takes n units if they fit; otherwise it reports how long until they would.
func (b *bucket) take(now time.Time, n int64) (ok bool, wait time.Duration) {
	need := b.deficit(now) + time.Duration(n)*b.interval
	capacity := time.Duration(b.limit) * b.interval
	if need > capacity {
		return false, need - capacity
	}
	b.full = now.Add(need)
	return true, 0
}

// groqQuota is one model's pair of Groq buckets.
type groqQuota struct {
	limits   GroqLimits
	requests *bucket // per day
	tokens   *bucket // per minute
}

func newGroqQuota(l GroqLimits) *groqQuota {
	return &groqQuota{
		limits:   l,
		requests: newBucket(l.RequestsPerDay, 24*time.Hour),
		tokens:   newBucket(l.TokensPerMinute, time.Minute),
	}
}

// groqQuotaState is what the x-ratelimit-* headers report.
type groqQuotaState struct {
	limits                             GroqLimits
	remainingRequests, remainingTokens int64
	resetRequests, resetTokens         time.Duration
}

func (q *groqQuota) snapshot(now time.Time) groqQuotaState {
	s := groqQuotaState{limits: q.limits}
	s.remainingRequests, s.resetRequests = q.requests.state(now)
	s.remainingTokens, s.resetTokens = q.tokens.state(now)
	return s
}

// groqLimitKind names the limit a Groq request ran into, as its error body does.
type groqLimitKind struct {
	errType string // "requests" or "tokens"
	name    string // "requests per day (RPD)"
	limit   int
}

// groqRejection says why a Groq request was refused.
type groqRejection struct {
	kind      groqLimitKind
	used      int64
	requested int64
	wait      time.Duration
	tooLarge  bool // the request can never fit: 413
}

// admit takes one request and tokens tokens, or reports which limit refused them.
// Nothing is taken from either bucket when the request is refused.
func (q *groqQuota) admit(now time.Time, tokens int64) *groqRejection {
	rpd := groqLimitKind{"requests", "requests per day (RPD)", q.limits.RequestsPerDay}
	tpm := groqLimitKind{"tokens", "tokens per minute (TPM)", q.limits.TokensPerMinute}
	if tokens > int64(q.limits.TokensPerMinute) {
		return &groqRejection{kind: tpm, requested: tokens, tooLarge: true, wait: q.tokens.deficit(now)}
	}
	reqUsed := q.requests.used(now)
	if ok, wait := q.requests.take(now, 1); !ok {
		return &groqRejection{kind: rpd, used: reqUsed, requested: 1, wait: wait}
	}
	tokUsed := q.tokens.used(now)
	if ok, wait := q.tokens.take(now, tokens); !ok {
		q.requests.full = q.requests.full.Add(-q.requests.interval) // give the request back
		return &groqRejection{kind: tpm, used: tokUsed, requested: tokens, wait: wait}
	}
	return nil
}

// geminiQuota counts one model's Gemini usage: a sliding minute for requests and input
// tokens, and the current Pacific day for requests.
type geminiQuota struct {
	limits  GeminiLimits
	minute  []geminiUse
	day     time.Time // start of the Pacific day dayUsed counts
	dayUsed int
}

type geminiUse struct {
	at     time.Time
	tokens int
}

// geminiViolation is one Gemini limit a request ran into.
type geminiViolation struct {
	quotaID string
	metric  string
	limit   int
	wait    time.Duration
}

const (
	geminiRequestsMetric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
	geminiTokensMetric   = "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
)

// pacific is where Gemini's daily quota resets at midnight. The time/tzdata import makes
// it load on machines without a time zone database.
var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PST", -8*3600) // unreachable with time/tzdata linked in
	}
	return loc
}()

func startOfDay(t time.Time) time.Time {
	t = t.In(pacific)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, pacific)
}

// admit counts one request of tokens input tokens, or returns every limit it breaks.
func (q *geminiQuota) admit(now time.Time, tokens int) []geminiViolation {
	if day := startOfDay(now); !day.Equal(q.day) {
		q.day, q.dayUsed = day, 0
	}
	cut := 0
	for cut < len(q.minute) && !q.minute[cut].at.Add(time.Minute).After(now) {
		cut++
	}
	q.minute = q.minute[cut:]

	var v []geminiViolation
	if l := q.limits.RequestsPerMinute; l > 0 && len(q.minute)+1 > l {
		v = append(v, geminiViolation{"GenerateRequestsPerMinutePerProjectPerModel-FreeTier", geminiRequestsMetric, l,
			q.minute[len(q.minute)-l].at.Add(time.Minute).Sub(now)})
	}
	if l := q.limits.RequestsPerDay; l > 0 && q.dayUsed+1 > l {
		next := startOfDay(q.day.Add(36 * time.Hour)) // 36h: safe across daylight-saving days
		v = append(v, geminiViolation{"GenerateRequestsPerDayPerProjectPerModel-FreeTier", geminiRequestsMetric, l, next.Sub(now)})
	}
	if l := q.limits.TokensPerMinute; l > 0 {
		sum := tokens
		for _, u := range q.minute {
			sum += u.tokens
		}
		if sum > l {
			// Wait until enough of the minute's tokens expire.
			wait := time.Minute
			for _, u := range q.minute {
				sum -= u.tokens
				if sum <= l {
					wait = u.at.Add(time.Minute).Sub(now)
					break
				}
			}
			v = append(v, geminiViolation{"GenerateContentInputTokensPerModelPerMinute-FreeTier", geminiTokensMetric, l, wait})
		}
	}
	if len(v) > 0 {
		return v
	}
	q.minute = append(q.minute, geminiUse{now, tokens})
	q.dayUsed++
	return nil
}
