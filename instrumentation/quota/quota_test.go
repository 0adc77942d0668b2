package quota_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		l    quota.Limit
		want string
	}{
		{quota.Limit{Provider: "gcp.gemini", RequestsPerMinute: 10}, ""},
		{quota.Limit{RequestsPerMinute: 10}, "quota limit: Provider: empty"},
		{quota.Limit{Provider: "p", RequestsPerMinute: -1}, `quota limit p "": RequestsPerMinute: -1 is negative`},
		{quota.Limit{Provider: "p", Model: "m", RequestsPerDay: -2}, `quota limit p "m": RequestsPerDay: -2 is negative`},
		{quota.Limit{Provider: "p", TokensPerMinute: -3}, `quota limit p "": TokensPerMinute: -3 is negative`},
		{quota.Limit{Provider: "p"}, `quota limit p "": none of RequestsPerMinute, RequestsPerDay, TokensPerMinute, AudioSecondsPerHour, AudioSecondsPerDay is set`},
	}
	for _, tt := range tests {
		err := tt.l.Validate()
		if got := fmt.Sprint(err); (tt.want == "" && err != nil) || (tt.want != "" && got != tt.want) {
			t.Errorf("%+v.Validate() = %v; want %q", tt.l, err, tt.want)
		}
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		s    quota.State
		want string
	}{
		{quota.State{Provider: "groq", Resource: "requests", Window: "1d", Source: "header", Limit: 14400, Remaining: 13950}, "Groq: 13,950 / 14,400 requests today"},
		{quota.State{Provider: "groq", Resource: "tokens", Window: "1m", Source: "header", Limit: 500000, Remaining: 0}, "Groq: 0 / 500,000 tokens this minute"},
		{quota.State{Provider: "gcp.gemini", Resource: "requests", Window: "1d", Source: "estimate", Limit: 20, Remaining: -3}, "Gemini: -3 / 20 requests today (estimate)"},
		{quota.State{Provider: "gcp.gemini", Resource: "tokens", Window: "1m", Source: "estimate", Limit: 1234567, Remaining: -1234567}, "Gemini: -1,234,567 / 1,234,567 tokens this minute (estimate)"},
		{quota.State{Provider: "groq", Resource: "audio_seconds", Window: "1h", Source: "header", Limit: 7200, Remaining: 7198}, "Groq: 7,198 / 7,200 audio seconds this hour"},
		{quota.State{Provider: "other", Resource: "requests", Window: "6h", Source: "header", Limit: 999, Remaining: 100}, "other: 100 / 999 requests per 6h"},
	}
	for _, tt := range tests {
		if got := quota.Display(tt.s); got != tt.want {
			t.Errorf("Display(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestDisplayForecast(t *testing.T) {
	now := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		s    quota.State
		want string
	}{
		{quota.State{Forecast: semconv.ForecastBeforeReset, ExhaustsAt: now.Add(130 * time.Second)}, "runs out in 2m10s at the current rate"},
		{quota.State{Forecast: semconv.ForecastBeforeReset, ExhaustsAt: now.Add(3*time.Hour + 5*time.Minute + 7*time.Second)}, "runs out in 3h5m0s at the current rate"},
		{quota.State{Forecast: semconv.ForecastBeforeReset, ExhaustsAt: now.Add(12340 * time.Millisecond)}, "runs out in 12.3s at the current rate"},
		{quota.State{Forecast: semconv.ForecastBeforeReset, ExhaustsAt: now}, "runs out now at the current rate"},
		{quota.State{Forecast: semconv.ForecastExhausted, ResetAt: now.Add(90 * time.Second)}, "used up until 15:01:30 UTC"},
		{quota.State{Forecast: semconv.ForecastExhausted}, "used up"},
		{quota.State{Forecast: semconv.ForecastNotBeforeReset}, ""},
		{quota.State{Forecast: semconv.ForecastUnknown}, ""},
	}
	for _, tt := range tests {
		if got := quota.DisplayForecast(tt.s, now); got != tt.want {
			t.Errorf("DisplayForecast(%s in %s) = %q, want %q", tt.s.Forecast, tt.s.ExhaustsAt.Sub(now), got, tt.want)
		}
	}
}
