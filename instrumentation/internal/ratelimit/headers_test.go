package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
)

// groqHeaders builds a response header set as Groq sends it (canonical keys, as net/http
// delivers them).
func groqHeaders(limitReq, remReq, resetReq, limitTok, remTok, resetTok string) http.Header {
	h := http.Header{}
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set("x-ratelimit-limit-requests", limitReq)
	set("x-ratelimit-remaining-requests", remReq)
	set("x-ratelimit-reset-requests", resetReq)
	set("x-ratelimit-limit-tokens", limitTok)
	set("x-ratelimit-remaining-tokens", remTok)
	set("x-ratelimit-reset-tokens", resetTok)
	return h
}

func TestParseHeaders(t *testing.T) {
	lower := http.Header{ // as a recording or a hand-built map may hold them
		"x-ratelimit-limit-requests":     {"1000"},
		"x-ratelimit-remaining-requests": {"999"},
		"x-ratelimit-reset-requests":     {"1m26.4s"},
		"retry-after":                    {"7"},
	}
	tests := []struct {
		name string
		h    http.Header
		want ratelimit.Headers
	}{
		{
			name: "recorded groq response",
			h:    groqHeaders("14400", "14398", "10.332999999s", "30000", "29987", "26ms"),
			want: ratelimit.Headers{
				RequestsLimit: 14400, RequestsRemaining: 14398, RequestsReset: 10*time.Second + 332999999*time.Nanosecond, HasRequests: true,
				TokensLimit: 30000, TokensRemaining: 29987, TokensReset: 26 * time.Millisecond, HasTokens: true,
			},
		},
		{
			name: "minutes and fractions",
			h:    groqHeaders("14400", "13950", "2m59.56s", "6000", "5400", "7.66s"),
			want: ratelimit.Headers{
				RequestsLimit: 14400, RequestsRemaining: 13950, RequestsReset: 179560 * time.Millisecond, HasRequests: true,
				TokensLimit: 6000, TokensRemaining: 5400, TokensReset: 7660 * time.Millisecond, HasTokens: true,
			},
		},
		{
			name: "whole seconds and milliseconds",
			h:    groqHeaders("1000", "0", "6s", "12000", "0", "547ms"),
			want: ratelimit.Headers{
				RequestsLimit: 1000, RequestsReset: 6 * time.Second, HasRequests: true,
				TokensLimit: 12000, TokensReset: 547 * time.Millisecond, HasTokens: true,
			},
		},
		{
			name: "lower-case keys",
			h:    lower,
			want: ratelimit.Headers{RequestsLimit: 1000, RequestsRemaining: 999, RequestsReset: 86400 * time.Millisecond, HasRequests: true,
				RetryAfter: 7 * time.Second, HasRetryAfter: true},
		},
		{
			name: "reset as bare seconds",
			h:    groqHeaders("10", "5", "2.5", "", "", ""),
			want: ratelimit.Headers{RequestsLimit: 10, RequestsRemaining: 5, RequestsReset: 2500 * time.Millisecond, HasRequests: true},
		},
		{
			name: "limit without remaining is not a reading",
			h:    groqHeaders("14400", "", "6s", "6000", "5987", ""),
			want: ratelimit.Headers{TokensLimit: 6000, TokensRemaining: 5987, HasTokens: true},
		},
		{
			name: "malformed counts are skipped",
			h:    groqHeaders("abc", "1", "6s", "-1", "5", "1s"),
			want: ratelimit.Headers{},
		},
		{
			name: "malformed reset keeps the counts",
			h:    groqHeaders("100", "50", "soon", "10", "5", "-3s"),
			want: ratelimit.Headers{RequestsLimit: 100, RequestsRemaining: 50, HasRequests: true, TokensLimit: 10, TokensRemaining: 5, HasTokens: true},
		},
		{
			name: "surrounding spaces",
			h:    groqHeaders(" 100 ", "50 ", " 1s", "", "", ""),
			want: ratelimit.Headers{RequestsLimit: 100, RequestsRemaining: 50, RequestsReset: time.Second, HasRequests: true},
		},
		{name: "no headers", h: http.Header{}, want: ratelimit.Headers{}},
		{name: "nil headers", h: nil, want: ratelimit.Headers{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratelimit.ParseHeaders(tt.h); got != tt.want {
				t.Errorf("ParseHeaders:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseHeadersRetryAfter(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"0.5", 500 * time.Millisecond, true},
		{"47.25", 47250 * time.Millisecond, true},
		{" 3 ", 3 * time.Second, true},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0, false}, // HTTP-date form: ignored
		{"-1", 0, false},
		{"1e3", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{".", 0, false},
		{"1.2.3", 0, false},
		{"99999999999999999999", 0, false}, // beyond a Duration
		{"", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{"Retry-After": {tt.value}}
		got := ratelimit.ParseHeaders(h)
		if got.RetryAfter != tt.want || got.HasRetryAfter != tt.ok {
			t.Errorf("retry-after %q: %v, %v; want %v, %v", tt.value, got.RetryAfter, got.HasRetryAfter, tt.want, tt.ok)
		}
	}
}

func FuzzParseHeaders(f *testing.F) {
	f.Add("14400", "14398", "10.332999999s", "30000", "29987", "26ms", "2")
	f.Add("1000", "0", "1m26.4s", "8000", "6670", "2m59.56s", "0.5")
	f.Add("", "x", "9223372036854775807ns", "-0", "+5", "1h1h1h", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, limReq, remReq, resetReq, limTok, remTok, resetTok, retry string) {
		h := groqHeaders(limReq, remReq, resetReq, limTok, remTok, resetTok)
		h["retry-after"] = []string{retry}
		q := ratelimit.ParseHeaders(h)
		if q.RequestsLimit < 0 || q.RequestsRemaining < 0 || q.RequestsReset < 0 ||
			q.TokensLimit < 0 || q.TokensRemaining < 0 || q.TokensReset < 0 || q.RetryAfter < 0 {
			t.Fatalf("negative value parsed: %+v", q)
		}
		if !q.HasRequests && (q.RequestsLimit != 0 || q.RequestsRemaining != 0 || q.RequestsReset != 0) {
			t.Fatalf("request values without HasRequests: %+v", q)
		}
		if !q.HasTokens && (q.TokensLimit != 0 || q.TokensRemaining != 0 || q.TokensReset != 0) {
			t.Fatalf("token values without HasTokens: %+v", q)
		}
		if !q.HasRetryAfter && q.RetryAfter != 0 {
			t.Fatalf("retry-after without HasRetryAfter: %+v", q)
		}
	})
}
