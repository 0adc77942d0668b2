package quota_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/internal/cassette"
)

// TestRecordedGroqHeaders reads every recorded Groq response that kept its rate-limit
// headers: each must give a full reading with sane values, and the tracker must end up
// holding the last one.
func TestRecordedGroqHeaders(t *testing.T) {
	dir, ok := cassette.Dir()
	if !ok {
		t.Skip("shared cassettes not found beside the repository")
	}
	files, err := filepath.Glob(filepath.Join(dir, "groq", "openllmetry__*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Groq recordings with rate-limit headers in %s: %v", dir, err)
	}
	readings := 0
	for _, f := range files {
		c, err := cassette.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		tr := quota.NewTracker(quota.Options{})
		var last quota.Headers
		for i, in := range c.Interactions {
			h := quota.ParseHeaders(in.Response.Header)
			if !h.HasRequests || !h.HasTokens {
				t.Errorf("%s #%d: incomplete reading %+v from %v", c.Name, i, h, in.Response.Header)
				continue
			}
			if h.RequestsRemaining > h.RequestsLimit || h.TokensRemaining > h.TokensLimit ||
				h.RequestsReset <= 0 || h.RequestsReset > 24*time.Hour || h.TokensReset <= 0 || h.TokensReset > time.Minute {
				t.Errorf("%s #%d: implausible reading %+v", c.Name, i, h)
			}
			tr.ObserveHeaders("groq", "llama3-8b-8192", h)
			last = h
			readings++
		}
		states := tr.States()
		if len(states) != 2 || states[0].Limit != last.RequestsLimit || states[0].Remaining != last.RequestsRemaining ||
			states[1].Limit != last.TokensLimit || states[1].Remaining != last.TokensRemaining {
			t.Errorf("%s: states %+v do not hold the last reading %+v", c.Name, states, last)
		}
		if strings.HasSuffix(c.Name, "groq_chat_stream") {
			// The stream recording's values, read off the file: a 6000 tokens/min account.
			want := quota.Headers{RequestsLimit: 14400, RequestsRemaining: 14399, RequestsReset: 6 * time.Second, HasRequests: true,
				TokensLimit: 6000, TokensRemaining: 5987, TokensReset: 130 * time.Millisecond, HasTokens: true}
			if last != want {
				t.Errorf("%s: %+v, want %+v", c.Name, last, want)
			}
		}
	}
	if readings < 7 {
		t.Errorf("read %d responses with rate-limit headers, want the 7 recorded", readings)
	}
}
