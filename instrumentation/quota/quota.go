package quota

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Limit is a quota the app configures for a provider that sends no quota headers
// (Gemini). Model "" applies the limit to every model of the provider, each model
// counted on its own, as Gemini's quotas are per model. A zero field is not tracked.
type Limit struct {
	Provider          semconv.Provider // instrumentation.Gemini
	Model             string
	RequestsPerMinute int64
	RequestsPerDay    int64 // the day ends at midnight Pacific time, as Gemini's does
	TokensPerMinute   int64 // input tokens, as Gemini's GenerateContentInputTokensPerModelPerMinute counts
	// Seconds of audio sent to speech-to-text, in a sliding hour and a sliding day
	// (Groq's "ASH" and "ASD"; its headers report only the hour).
	AudioSecondsPerHour int64
	AudioSecondsPerDay  int64
}

// Validate reports the first bad field of l: no provider, a negative limit, or no
// limit set at all.
func (l Limit) Validate() error {
	switch {
	case l.Provider == "":
		return fmt.Errorf("quota limit: Provider: empty")
	case l.RequestsPerMinute < 0:
		return fmt.Errorf("quota limit %s %q: RequestsPerMinute: %d is negative", l.Provider, l.Model, l.RequestsPerMinute)
	case l.RequestsPerDay < 0:
		return fmt.Errorf("quota limit %s %q: RequestsPerDay: %d is negative", l.Provider, l.Model, l.RequestsPerDay)
	case l.TokensPerMinute < 0:
		return fmt.Errorf("quota limit %s %q: TokensPerMinute: %d is negative", l.Provider, l.Model, l.TokensPerMinute)
	case l.AudioSecondsPerHour < 0:
		return fmt.Errorf("quota limit %s %q: AudioSecondsPerHour: %d is negative", l.Provider, l.Model, l.AudioSecondsPerHour)
	case l.AudioSecondsPerDay < 0:
		return fmt.Errorf("quota limit %s %q: AudioSecondsPerDay: %d is negative", l.Provider, l.Model, l.AudioSecondsPerDay)
	case l.RequestsPerMinute == 0 && l.RequestsPerDay == 0 && l.TokensPerMinute == 0 && l.AudioSecondsPerHour == 0 && l.AudioSecondsPerDay == 0:
		return fmt.Errorf("quota limit %s %q: none of RequestsPerMinute, RequestsPerDay, TokensPerMinute, AudioSecondsPerHour, AudioSecondsPerDay is set", l.Provider, l.Model)
	}
	return nil
}

// State is the quota of one provider, model, resource and window as last known.
type State struct {
	Provider semconv.Provider
	Model    string
	Resource string // semconv.ResourceRequests, ResourceTokens or ResourceAudioSeconds
	Window   string // semconv.WindowMinute, WindowHour or WindowDay
	Source   string // semconv.SourceHeader (the provider said so) or semconv.SourceEstimate (counted here)
	// Limit is the window's quota; Remaining what is left of it. An estimate's Remaining
	// is Limit minus what was counted and goes negative when the count passes the limit;
	// it is at most 0 while a 429 said the quota is used up.
	Limit, Remaining int64
	// Utilization is (Limit-Remaining)/Limit: 0 unused, 1 exhausted, above 1 overrun.
	Utilization float64
	// ResetAt is when the window is full again: from the provider's reset header; for a
	// minute estimate, a minute after the last counted call; for a day estimate, the
	// next midnight in America/Los_Angeles; no earlier than the end of an exhaustion
	// a 429 reported. Zero when unknown.
	ResetAt time.Time
	// UpdatedAt is when the state was last observed.
	UpdatedAt time.Time

	// Rate is the window's consumption per second (requests or tokens), smoothed over
	// the recent past; 0 when Forecast is semconv.ForecastUnknown. For a header quota
	// it is what the provider deducted, so it includes other clients of the same
	// organisation; for an estimate, the calls counted here.
	Rate float64
	// Forecast says whether the window runs out at Rate before it resets:
	// semconv.ForecastExhausted, ForecastBeforeReset, ForecastNotBeforeReset or
	// ForecastUnknown.
	Forecast string
	// ExhaustsAt is when the window runs out at Rate (ForecastBeforeReset), or when it
	// was seen used up (ForecastExhausted); zero otherwise.
	ExhaustsAt time.Time
}

// Reasons an Alert fires.
const (
	// AlertUtilization: the utilization rose to the threshold (WithQuotaAlert).
	AlertUtilization = "utilization"
	// AlertForecast: at the current rate the window runs out within the horizon
	// (WithExhaustionHorizon), before it resets.
	AlertForecast = "forecast"
)

// Alert says a quota runs low: its utilization reached the threshold, or it is
// predicted to run out within the horizon.
type Alert struct {
	State State
	// Reason is AlertUtilization or AlertForecast.
	Reason string
	// Threshold is the utilization threshold configured (both reasons).
	Threshold float64
	// Horizon is how far ahead a predicted exhaustion alerts (AlertForecast).
	Horizon time.Duration
}

// Guard configures the quota guard (instrumentation.WithQuotaGuard). The zero value
// refuses only on the provider's own recent word.
type Guard struct {
	// MaxAge is how old the provider's word may be and still refuse a call: a reading
	// older than this is stale, and the call is sent. 0 means DefaultGuardMaxAge.
	MaxAge time.Duration
	// Estimates also refuses calls while a locally counted estimate (WithLimits) says
	// the window is used up, though the provider has said nothing: estimates miss
	// other clients and limits the provider changed, so this is off by default.
	Estimates bool
}

// SourceRetryAfter is the Source of a guard refusal that a 429's retry delay decided
// (the others are semconv.SourceHeader and semconv.SourceEstimate).
const SourceRetryAfter = "retry_after"

// DefaultGuardMaxAge is how long the provider's word refuses calls unless Guard.MaxAge
// says otherwise.
const DefaultGuardMaxAge = time.Minute

// providerNames are how UIs name the providers.
var providerNames = map[semconv.Provider]string{
	semconv.ProviderGroq:   "Groq",
	semconv.ProviderGemini: "Gemini",
}

// windowNames say a window in words.
var windowNames = map[string]string{
	semconv.WindowDay:    "today",
	semconv.WindowHour:   "this hour",
	semconv.WindowMinute: "this minute",
}

// resourceNames say a resource in words where its name is not already.
var resourceNames = map[string]string{
	semconv.ResourceAudioSeconds: "audio seconds",
}

// Display is the one-line form of s for a UI header, remaining of limit:
// "Groq: 13,950 / 14,400 requests today"; estimates say so.
func Display(s State) string {
	name := providerNames[s.Provider]
	if name == "" {
		name = string(s.Provider)
	}
	window := windowNames[s.Window]
	if window == "" {
		window = "per " + s.Window
	}
	resource := resourceNames[s.Resource]
	if resource == "" {
		resource = s.Resource
	}
	line := name + ": " + grouped(s.Remaining) + " / " + grouped(s.Limit) + " " + resource + " " + window
	if s.Source == semconv.SourceEstimate {
		line += " (estimate)"
	}
	return line
}

// DisplayForecast is the one-line forecast of s at now for a UI, or "" when there is
// nothing to warn about: "runs out in 2m10s at the current rate" before the reset
// ("runs out now" within a second), "used up until 15:04:05 UTC" when exhausted.
func DisplayForecast(s State, now time.Time) string {
	switch s.Forecast {
	case semconv.ForecastExhausted:
		if s.ResetAt.IsZero() {
			return "used up"
		}
		return "used up until " + s.ResetAt.UTC().Format("15:04:05") + " UTC"
	case semconv.ForecastBeforeReset:
		in := s.ExhaustsAt.Sub(now)
		if in < time.Second {
			return "runs out now at the current rate"
		}
		return "runs out in " + roundDuration(in).String() + " at the current rate"
	}
	return ""
}

// roundDuration keeps two significant units: 2m10s, 3h5m0s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Minute:
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

// grouped writes n with thousands separators: 14400 -> "14,400".
func grouped(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	out := make([]byte, 0, len(digits)+len(digits)/3)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	return sign + string(out)
}
