package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// transcriptionHeaders are the quota headers of a real Groq speech-to-text response
// (a browser's record of a whisper-large-v3 call, 2024-07-19): audio seconds per hour
// and requests per day, no tokens.
func transcriptionHeaders() http.Header {
	return http.Header{
		"X-Ratelimit-Limit-Audio-Seconds":     {"7200"},
		"X-Ratelimit-Limit-Requests":          {"2000"},
		"X-Ratelimit-Remaining-Audio-Seconds": {"7198"},
		"X-Ratelimit-Remaining-Requests":      {"1999"},
		"X-Ratelimit-Reset-Audio-Seconds":     {"1s"},
		"X-Ratelimit-Reset-Requests":          {"43.2s"},
	}
}

func TestParseAudioHeaders(t *testing.T) {
	tests := []struct {
		name   string
		h      http.Header
		want   ratelimit.Headers
		nAudio bool
	}{
		{
			name: "recorded transcription response",
			h:    transcriptionHeaders(),
			want: ratelimit.Headers{
				RequestsLimit: 2000, RequestsRemaining: 1999, RequestsReset: 43200 * time.Millisecond, HasRequests: true,
				AudioSecondsLimit: 7200, AudioSecondsRemaining: 7198, AudioSecondsReset: time.Second,
				AudioWindow: semconv.WindowHour, HasAudioSeconds: true,
			},
		},
		{
			name: "a fraction of a second left, the daily limit spent",
			h: http.Header{
				"x-ratelimit-limit-audio-seconds":     {"28800"},
				"x-ratelimit-remaining-audio-seconds": {"0.5"},
				"x-ratelimit-reset-audio-seconds":     {"2h2m"},
			},
			want: ratelimit.Headers{
				AudioSecondsLimit: 28800, AudioSecondsRemaining: 0, AudioSecondsReset: 2*time.Hour + 2*time.Minute,
				AudioWindow: semconv.WindowDay, HasAudioSeconds: true,
			},
		},
		{
			name: "remaining without a limit",
			h:    http.Header{"X-Ratelimit-Remaining-Audio-Seconds": {"10"}},
			want: ratelimit.Headers{},
		},
		{
			name: "not a number",
			h:    http.Header{"X-Ratelimit-Limit-Audio-Seconds": {"1e3"}, "X-Ratelimit-Remaining-Audio-Seconds": {"5"}},
			want: ratelimit.Headers{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratelimit.ParseHeaders(tt.h); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTrackerAudioHeaders(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now})
	const m = "whisper-large-v3"
	tr.ObserveHeaders(semconv.ProviderGroq, m, ratelimit.ParseHeaders(transcriptionHeaders()))
	states := tr.States()
	if len(states) != 2 {
		t.Fatalf("got %d states, want requests and audio seconds: %+v", len(states), states)
	}
	s := find(t, states, "groq", m, "audio_seconds", "1h", "header")
	want := quota.State{
		Provider: "groq", Model: m, Resource: "audio_seconds", Window: "1h", Source: "header",
		Limit: 7200, Remaining: 7198, Utilization: 2.0 / 7200,
		ResetAt: mustTime("2026-11-27T15:00:01Z"), UpdatedAt: mustTime("2026-11-27T15:00:00Z"),
	}
	if !sameState(s, want) {
		t.Errorf("audio seconds:\n got %+v\nwant %+v", s, want)
	}
	if got := quota.Display(s); got != "Groq: 7,198 / 7,200 audio seconds this hour" {
		t.Errorf("display %q", got)
	}
	// A 429 on the daily audio limit: its headers are kept apart from the hour's.
	clk.Add(time.Minute)
	tr.ObserveHeaders("groq", m, ratelimit.ParseHeaders(http.Header{
		"X-Ratelimit-Limit-Audio-Seconds": {"28800"}, "X-Ratelimit-Remaining-Audio-Seconds": {"0"}, "X-Ratelimit-Reset-Audio-Seconds": {"3h"},
	}))
	day := find(t, tr.States(), "groq", m, "audio_seconds", "1d", "header")
	if day.Limit != 28800 || day.Remaining != 0 || day.Forecast != semconv.ForecastExhausted {
		t.Errorf("day: %+v", day)
	}
	if hour := find(t, tr.States(), "groq", m, "audio_seconds", "1h", "header"); hour.Limit != 7200 {
		t.Errorf("the hour's reading changed: %+v", hour)
	}
}

func TestTrackerAudioEstimates(t *testing.T) {
	clk := newClock("2026-11-27T15:00:00Z")
	tr := ratelimit.NewTracker(ratelimit.Options{
		Now:    clk.Now,
		Limits: []quota.Limit{{Provider: "groq", Model: "whisper-large-v3-turbo", AudioSecondsPerHour: 7200, AudioSecondsPerDay: 28800}},
	})
	const m = "whisper-large-v3-turbo"
	tr.ObserveAudio("groq", m, 100.25)
	clk.Add(30 * time.Minute)
	tr.ObserveAudio("groq", m, 3599.5)
	tr.ObserveAudio("groq", m, 0)        // nothing measured: nothing counted
	tr.ObserveAudio("groq", "other", 10) // no limit for it: nothing tracked
	check := func(window string, remaining int64, reset string) {
		t.Helper()
		s := find(t, tr.States(), "groq", m, "audio_seconds", window, "estimate")
		if s.Remaining != remaining || !s.ResetAt.Equal(mustTime(reset)) {
			t.Errorf("%s: remaining %d reset %s; want %d %s", window, s.Remaining, s.ResetAt, remaining, reset)
		}
	}
	// 3,699.75 s counted: 3,700 whole seconds used.
	check("1h", 7200-3700, "2026-11-27T16:30:00Z")
	check("1d", 28800-3700, "2026-11-28T15:30:00Z")
	if n := len(tr.States()); n != 2 {
		t.Errorf("%d states, want the two audio estimates", n)
	}
	// 40 minutes on, the first upload has left the sliding hour, not the day.
	clk.Add(40 * time.Minute)
	check("1h", 7200-3600, "2026-11-27T16:30:00Z")
	check("1d", 28800-3700, "2026-11-28T15:30:00Z")
	// A 429 on the hour: used up until its retry delay, whatever was counted.
	tr.ObserveExceeded("groq", m, semconv.ResourceAudioSeconds, semconv.WindowHour, 10*time.Minute)
	check("1h", 0, "2026-11-27T16:30:00Z")
	clk.Add(11 * time.Minute)
	check("1h", 7200-3600, "2026-11-27T16:30:00Z")
	// A day later everything is gone.
	clk.Add(24 * time.Hour)
	check("1h", 7200, "2026-11-27T16:30:00Z")
	check("1d", 28800, "2026-11-28T15:30:00Z")
}
