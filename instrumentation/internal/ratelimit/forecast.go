package ratelimit

import (
	"math"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// The consumption rate of a window is an exponentially weighted moving average over
// event time: every amount consumed counts with weight e^(-age/tau), and the rate is the
// weighted amount over the weighted time observed, tau(1 - e^(-T/tau)) for T seconds of
// history. Compared with counting over a sliding interval it needs no buffer (constant
// memory and time per call, one exp), it decays smoothly through idle periods instead of
// dropping a burst all at once when it leaves the interval, and the division by the
// weighted time observed makes it unbiased from the first seconds on (the plain EWMA,
// sum/tau, starts at zero and takes several tau to warm up).
//
// tau is a sixth of a minute window (10 s: a burst weighs for a few seconds, a sustained
// change shows within 20-30 s, well inside the minute it forecasts), 5 minutes for an
// hour window (a twelfth: one long upload is not a trend) and 15 minutes for a day
// window (a burst of calls does not announce the end of the day's quota, a change of
// traffic over the hour does).
const (
	minuteTau = 10 * time.Second
	hourTau   = 5 * time.Minute
	dayTau    = 15 * time.Minute
	// minHistory is the share of tau that must be observed before a rate is given: a
	// couple of calls a few milliseconds apart are no rate.
	minHistory = 0.25
)

// smoothing is the time constant of a window's rate.
func smoothing(window string) time.Duration {
	switch window {
	case semconv.WindowDay:
		return dayTau
	case semconv.WindowHour:
		return hourTau
	}
	return minuteTau
}

// windowLength is how long a window is: what a bucket refills in and what a sliding
// window counts.
func windowLength(window string) time.Duration {
	switch window {
	case semconv.WindowDay:
		return 24 * time.Hour
	case semconv.WindowHour:
		return time.Hour
	}
	return time.Minute
}

// rate is a consumption rate smoothed over event time (see the package comment above).
// The first event only starts the observation; amounts count from then on.
type rate struct {
	tau   float64   // time constant, seconds
	sum   float64   // amounts, each weighted e^(-(last-t)/tau)
	last  time.Time // time sum is current to
	start time.Time // when observation began; zero before
}

func newRate(window string) rate { return rate{tau: smoothing(window).Seconds()} }

// begin starts the observation at now if it has not started.
func (r *rate) begin(now time.Time) {
	if r.start.IsZero() {
		r.start, r.last = now, now
	}
}

// add records amount consumed at now, as consumed evenly since the previous event: an
// amount learnt at an event was used over the time before it (a header reading reports
// what was deducted since the last one; a call is one of the calls of its interval), and
// counting it all at its instant would overstate the rate at every event, most for
// sparse ones. The first call only begins the observation. A time before the last one
// (a clock step back) counts at the last.
func (r *rate) add(now time.Time, amount float64) {
	if r.start.IsZero() {
		r.begin(now)
		return
	}
	weight := 1.0 // the mean of e^(-age/tau) over the interval; 1 for none
	if dt := now.Sub(r.last).Seconds(); dt > 0 {
		x := dt / r.tau
		decay, mean := decayOver(x)
		r.sum *= decay
		weight = mean
		r.last = now
	}
	r.sum += amount * weight
}

// decayOver returns e^-x and the mean of e^-s over s in [0, x]: (1 - e^-x)/x. Calls a
// few milliseconds apart have x near 1e-4; there the series (error below x^4/24) costs
// a few multiplications where math.Exp costs tens of nanoseconds.
func decayOver(x float64) (decay, mean float64) {
	if x < 1e-2 {
		return 1 - x*(1-x*(0.5-x/6)), 1 - x*(0.5-x*(1.0/6-x/24))
	}
	decay = math.Exp(-x)
	return decay, (1 - decay) / x
}

// perSecond is the rate at now; ok is false until minHistory*tau has been observed.
func (r *rate) perSecond(now time.Time) (perSecond float64, ok bool) {
	if r.start.IsZero() {
		return 0, false
	}
	observed := now.Sub(r.start).Seconds()
	if observed < minHistory*r.tau {
		return 0, false
	}
	sum := r.sum
	if dt := now.Sub(r.last).Seconds(); dt > 0 {
		decay, _ := decayOver(dt / r.tau)
		sum *= decay
	}
	exposure := r.tau // the weighted time observed: tau(1 - e^(-observed/tau))
	if x := observed / r.tau; x < 40 {
		exposure *= -math.Expm1(-x)
	}
	return sum / exposure, true
}

// refill says how a window gives its quota back, which decides how it runs out.
type refill uint8

const (
	// fixedWindow gives everything back at once at ResetAt (Gemini's Pacific day): the
	// window runs out at the rate only if that comes before ResetAt.
	fixedWindow refill = iota
	// refilling gives back limit per window length, continuously (Groq's headers: the
	// bucket refills as it drains, and its reset is when it would be full): it runs out
	// only while the rate beats the refill.
	refilling
	// sliding counts the last window length of usage (a locally counted minute): usage
	// leaves it at about used/length per second.
	sliding
)

// forecast sets s.Rate, s.Forecast and s.ExhaustsAt from r at now. s.Remaining is as
// read at readAt; window is s.Window.
func forecast(s *quota.State, kind refill, r *rate, readAt, now time.Time) {
	s.Rate, s.ExhaustsAt = 0, time.Time{}
	perSecond, ok := r.perSecond(now)
	if ok {
		s.Rate = perSecond
	}
	if s.Remaining <= 0 && (s.ResetAt.IsZero() || now.Before(s.ResetAt)) {
		s.Forecast, s.ExhaustsAt = semconv.ForecastExhausted, s.UpdatedAt
		return
	}
	if !ok {
		s.Forecast = semconv.ForecastUnknown
		return
	}
	length := windowLength(s.Window).Seconds()
	var outflow float64
	switch kind {
	case refilling:
		outflow = float64(s.Limit) / length
	case sliding:
		outflow = float64(s.Limit-s.Remaining) / length
	}
	net := perSecond - outflow
	if net <= 0 {
		s.Forecast = semconv.ForecastNotBeforeReset
		return
	}
	at := readAt.Add(time.Duration(float64(s.Remaining) / net * float64(time.Second)))
	if at.Before(now) { // the reading is old: by its numbers the window ran out meanwhile
		at = now
	}
	if kind == fixedWindow && !s.ResetAt.IsZero() && !at.Before(s.ResetAt) {
		s.Forecast = semconv.ForecastNotBeforeReset
		return
	}
	s.Forecast, s.ExhaustsAt = semconv.ForecastBeforeReset, at
}

// consumed is what a bucket reading says was consumed since the previous one: the
// previous remaining plus the refill since, less the remaining now. A reading higher
// than that (a response that overtook an older one, whose headers arrive late) says
// nothing about consumption and is skipped (ok false). The first reading only starts
// the observation.
func (e *entry) consumed(limit, remaining int64, now time.Time) (amount float64, ok bool) {
	if !e.primed || limit != e.prevLimit {
		e.primed, e.prevLimit, e.prevRemaining, e.prevAt = true, limit, remaining, now
		return 0, true
	}
	refilled := float64(limit) * now.Sub(e.prevAt).Seconds() / windowLength(e.state.Window).Seconds()
	expected := math.Min(float64(e.prevRemaining)+max(refilled, 0), float64(limit))
	if float64(remaining) > expected+1 { // 1: the provider rounds what it reports
		return 0, false
	}
	e.prevRemaining, e.prevAt = remaining, now
	return max(expected-float64(remaining), 0), true
}

// forecastAlert returns the forecast alert s fires at now within horizon, at most once
// per window: re-armed once the window the alert was for has reset.
func (e *entry) forecastAlert(s *quota.State, now time.Time, horizon time.Duration, threshold float64) (quota.Alert, bool) {
	if horizon <= 0 || s.Forecast != semconv.ForecastBeforeReset || s.ExhaustsAt.Sub(now) > horizon || now.Before(e.forecastRearm) {
		return quota.Alert{}, false
	}
	e.forecastRearm = s.ResetAt
	if !s.ResetAt.After(now) {
		e.forecastRearm = now.Add(windowLength(s.Window))
	}
	return quota.Alert{State: *s, Reason: quota.AlertForecast, Threshold: threshold, Horizon: horizon}, true
}
