package emulator

import (
	"testing"
	"time"
)

// The recorded Groq headers: 14400 requests per day refill one every 6s; two requests
// 1.667s apart leave 14398 with the bucket full again in 10.333s.
func TestBucketMatchesRecordedHeaders(t *testing.T) {
	t0 := time.Date(2024, 9, 4, 10, 23, 0, 0, time.UTC)
	b := newBucket(14400, 24*time.Hour)
	for _, tc := range []struct {
		at        time.Duration
		take      int64
		remaining int64
		reset     string
	}{
		{0, 1, 14399, "6s"},
		{1667 * time.Millisecond, 1, 14398, "10.333s"},
		{13 * time.Second, 0, 14400, "0s"},
	} {
		now := t0.Add(tc.at)
		if tc.take > 0 {
			if ok, _ := b.take(now, tc.take); !ok {
				t.Fatalf("at %v: take refused", tc.at)
			}
		}
		remaining, reset := b.state(now)
		if remaining != tc.remaining || reset.String() != tc.reset {
			t.Errorf("at %v: remaining %d reset %v, want %d %s", tc.at, remaining, reset, tc.remaining, tc.reset)
		}
	}
}

func TestBucketRefusesWhatDoesNotFit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBucket(1000, 24*time.Hour) // one request every 1m26.4s
	if ok, _ := b.take(now, 1000); !ok {
		t.Fatal("a full bucket refused its whole capacity")
	}
	ok, wait := b.take(now, 1)
	if ok || wait.String() != "1m26.4s" {
		t.Errorf("take on an empty bucket: ok %v wait %v, want refused for 1m26.4s", ok, wait)
	}
	if remaining, _ := b.state(now); remaining != 0 {
		t.Errorf("a refused take changed the bucket: remaining %d", remaining)
	}
}

// Gemini's day ends at midnight Pacific, also across daylight-saving changes.
func TestStartOfPacificDay(t *testing.T) {
	for _, tc := range []struct{ at, want string }{
		{"2026-11-27T18:00:00Z", "2026-11-27T00:00:00-08:00"},
		{"2026-11-28T07:59:59Z", "2026-11-27T00:00:00-08:00"},
		{"2026-11-28T08:00:00Z", "2026-11-28T00:00:00-08:00"},
		{"2026-11-01T12:00:00Z", "2026-11-01T00:00:00-07:00"}, // the 25-hour day
		{"2026-03-08T12:00:00Z", "2026-03-08T00:00:00-08:00"}, // the 23-hour day
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := startOfDay(at).Format(time.RFC3339); got != tc.want {
			t.Errorf("startOfDay(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	q := &geminiQuota{limits: GeminiLimits{RequestsPerDay: 1}}
	day := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) // 05:00 PDT on the 25-hour day
	if v := q.admit(day, 1); v != nil {
		t.Fatal(v)
	}
	v := q.admit(day, 1)
	if len(v) != 1 || v[0].wait != 20*time.Hour { // 19h of PDT left plus the extra hour
		t.Errorf("violations %+v, want one waiting 20h", v)
	}
}
