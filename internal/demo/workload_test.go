package demo

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/instrumentation"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		providers []instrumentation.Provider
		want      []instrumentation.Provider
	}{
		{"both", []instrumentation.Provider{instrumentation.Groq, instrumentation.Gemini}, []instrumentation.Provider{instrumentation.Gemini, instrumentation.Groq}},
		{"groq only", []instrumentation.Provider{instrumentation.Groq}, []instrumentation.Provider{instrumentation.Groq}},
		{"gemini only", []instrumentation.Provider{instrumentation.Gemini}, []instrumentation.Provider{instrumentation.Gemini}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := Plan(300, 1, tt.providers...)
			if tt.want == nil {
				if len(calls) != 0 {
					t.Fatalf("Plan with no providers made %d calls", len(calls))
				}
				return
			}
			if len(calls) != 300 {
				t.Fatalf("Plan made %d calls, want 300", len(calls))
			}
			providers := map[instrumentation.Provider]bool{}
			users, streams := map[string]bool{}, 0
			for _, c := range calls {
				providers[c.Provider] = true
				users[c.Attribution.UserID] = true
				if c.Stream {
					streams++
					if c.Attribution.Action != "reply" {
						t.Errorf("%v streams, but only spoken replies do", c)
					}
				}
				if c.Attribution.UserID == "" || c.Attribution.ProjectID == "" || c.Command == "" || c.Model == "" {
					t.Errorf("incomplete call %+v", c)
				}
			}
			got := make([]instrumentation.Provider, 0, len(providers))
			for p := range providers {
				got = append(got, p)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("providers %v, want %v", got, tt.want)
			}
			if streams == 0 || streams == len(calls) || len(users) != len(userNames) {
				t.Errorf("%d of %d calls stream, %d users: want a mix over every user", streams, len(calls), len(users))
			}
			if again := Plan(300, 1, tt.providers...); !slices.Equal(again, calls) {
				t.Error("the same seed gave a different plan")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	groq := Call{Provider: instrumentation.Groq, Model: GroqIntentModel}
	gemini := Call{Provider: instrumentation.Gemini, Model: GeminiReplyModel}
	got := Summarize([]Outcome{
		{Call: groq, Status: http.StatusOK},
		{Call: groq, Status: http.StatusTooManyRequests, Err: errors.New("429")},
		{Call: groq, Status: http.StatusOK},
		{Call: gemini, Status: http.StatusBadRequest, Err: errors.New("400")},
	})
	lines := strings.Split(got, "\n")
	if len(lines) != 3 {
		t.Fatalf("Summarize:\n%s\nwant a header and one line per model", got)
	}
	for i, want := range [][]string{
		{"gcp.gemini", GeminiReplyModel, " 0 ok ", " 0 rate-limited", " 1 other errors"},
		{"groq", GroqIntentModel, " 2 ok ", " 1 rate-limited", " 0 other errors"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %q lacks %q", lines[i+1], w)
			}
		}
	}
}

func TestStartCollectorRefusesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []CollectorOptions{
		{Binary: dir + "/no-such-collector", Config: "../../collector-config/config.yaml", Dir: dir},
		{Binary: "/bin/true", Config: dir + "/no-such.yaml", Dir: dir},
		{Binary: "/bin/true", Config: "../../collector-config/config.yaml"},
	} {
		if _, err := StartCollector(t.Context(), o); err == nil {
			t.Errorf("StartCollector(%+v) started", o)
		}
	}
	// A process that exits at once is reported, not waited on for two minutes.
	_, err := StartCollector(t.Context(), CollectorOptions{Binary: "/bin/false", Config: "../../collector-config/config.yaml", Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("StartCollector(/bin/false) = %v, want an exit error", err)
	}
}
