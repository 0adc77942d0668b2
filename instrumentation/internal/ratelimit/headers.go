package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Rate-limit response headers, as Groq sends them on every response.
var (
	headerLimitRequests     = newHeaderName("X-Ratelimit-Limit-Requests")
	headerRemainingRequests = newHeaderName("X-Ratelimit-Remaining-Requests")
	headerResetRequests     = newHeaderName("X-Ratelimit-Reset-Requests")
	headerLimitTokens       = newHeaderName("X-Ratelimit-Limit-Tokens")
	headerRemainingTokens   = newHeaderName("X-Ratelimit-Remaining-Tokens")
	headerResetTokens       = newHeaderName("X-Ratelimit-Reset-Tokens")
	// Speech-to-text responses carry audio seconds where chat carries tokens.
	headerLimitAudio     = newHeaderName("X-Ratelimit-Limit-Audio-Seconds")
	headerRemainingAudio = newHeaderName("X-Ratelimit-Remaining-Audio-Seconds")
	headerResetAudio     = newHeaderName("X-Ratelimit-Reset-Audio-Seconds")
	headerRetryAfter     = newHeaderName("Retry-After")
)

// headerName is a header's canonical key and its lower-case spelling: headers built by
// hand or replayed from recordings may hold the latter, and lookups must not allocate.
type headerName struct{ canonical, lower string }

func newHeaderName(canonical string) headerName {
	return headerName{canonical: canonical, lower: strings.ToLower(canonical)}
}

// Headers is the quota a provider reported in response headers: Groq's x-ratelimit-*
// set, whose requests window is one day, tokens window one minute and audio-seconds
// window one hour, and retry-after.
type Headers struct {
	// RequestsLimit and RequestsRemaining are requests per day; RequestsReset is how long
	// until the requests bucket refills (0 when absent or malformed). HasRequests is set
	// when both counts were present.
	RequestsLimit, RequestsRemaining int64
	RequestsReset                    time.Duration
	HasRequests                      bool
	// TokensLimit and TokensRemaining are tokens per minute; TokensReset is how long
	// until the tokens bucket refills (0 when absent or malformed). HasTokens is set
	// when both counts were present.
	TokensLimit, TokensRemaining int64
	TokensReset                  time.Duration
	HasTokens                    bool
	// AudioSecondsLimit and AudioSecondsRemaining are seconds of audio per AudioWindow
	// (speech-to-text); AudioSecondsReset is how long until the bucket refills.
	// HasAudioSeconds is set when both counts were present.
	AudioSecondsLimit, AudioSecondsRemaining int64
	AudioSecondsReset                        time.Duration
	AudioWindow                              string // semconv.WindowHour or WindowDay
	HasAudioSeconds                          bool
	// RetryAfter is the retry-after delay (sent with 429s) when given in seconds.
	RetryAfter    time.Duration
	HasRetryAfter bool
}

// ParseHeaders reads the rate-limit headers of a response. It never fails: a missing
// or malformed value is skipped, and a count without its partner leaves HasRequests or
// HasTokens unset. A retry-after in HTTP-date form is ignored.
func ParseHeaders(h http.Header) Headers {
	var q Headers
	if limit, ok := count(h, headerLimitRequests); ok {
		if remaining, ok := count(h, headerRemainingRequests); ok {
			q.RequestsLimit, q.RequestsRemaining, q.HasRequests = limit, remaining, true
			q.RequestsReset, _ = reset(h, headerResetRequests)
		}
	}
	if limit, ok := count(h, headerLimitTokens); ok {
		if remaining, ok := count(h, headerRemainingTokens); ok {
			q.TokensLimit, q.TokensRemaining, q.HasTokens = limit, remaining, true
			q.TokensReset, _ = reset(h, headerResetTokens)
		}
	}
	if limit, ok := amount(h, headerLimitAudio); ok {
		if remaining, ok := amount(h, headerRemainingAudio); ok {
			q.AudioSecondsLimit, q.AudioSecondsRemaining, q.HasAudioSeconds = limit, remaining, true
			q.AudioSecondsReset, _ = reset(h, headerResetAudio)
			q.AudioWindow = audioWindow(q.AudioSecondsReset)
		}
	}
	q.RetryAfter, q.HasRetryAfter = retryAfter(get(h, headerRetryAfter))
	return q
}

// audioWindow is the window of Groq's audio-seconds headers. They report the hourly
// limit (free tier 7,200 s, "ASH"); a daily one (28,800 s, "ASD") has been seen in
// them only when it was the one spent, with a reset beyond the hour.
func audioWindow(reset time.Duration) string {
	if reset > time.Hour {
		return semconv.WindowDay
	}
	return semconv.WindowHour
}

// amount parses a non-negative quantity that may have a fraction (audio seconds),
// rounded down to whole units.
func amount(h http.Header, name headerName) (int64, bool) {
	s := strings.TrimSpace(get(h, name))
	if n, ok := count(h, name); ok || s == "" || !isDecimal(s) {
		return n, ok
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v >= math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// get returns the first value of a header under either spelling.
func get(h http.Header, name headerName) string {
	if v := h[name.canonical]; len(v) > 0 {
		return v[0]
	}
	if v := h[name.lower]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// count parses a non-negative whole number.
func count(h http.Header, name headerName) (int64, bool) {
	s := strings.TrimSpace(get(h, name))
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// reset parses a reset delay: a Go-style duration ("2m59.56s", "547ms") as Groq sends,
// or a bare number of seconds.
func reset(h http.Header, name headerName) (time.Duration, bool) {
	s := strings.TrimSpace(get(h, name))
	if s == "" {
		return 0, false
	}
	if d, ok := seconds(s); ok {
		return d, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

// retryAfter parses retry-after in its delay-seconds form, allowing a fraction.
func retryAfter(s string) (time.Duration, bool) {
	return seconds(strings.TrimSpace(s))
}

// seconds parses a non-negative decimal number of seconds that fits a Duration.
func seconds(s string) (time.Duration, bool) {
	if s == "" || !isDecimal(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v*float64(time.Second) >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(math.Round(v * float64(time.Second))), true
}

// isDecimal reports whether s is digits with at most one '.', so that forms ParseFloat
// also takes ("1e3", "Inf", "0x10") are not read as seconds.
func isDecimal(s string) bool {
	dot := false
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits
}
