package durability

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestAcknowledgedSpansSurviveKills runs the built collector with the shipped
// configuration under 8,000 spans/s, SIGKILLs it at random moments and restarts it
// on the same DuckDB file and queue directory: every span the collector acknowledged
// to the SDK must be stored, and none twice.
func TestAcknowledgedSpansSurviveKills(t *testing.T) {
	const (
		rate  = 8000
		kills = 5
	)
	c := newCollector(t)
	c.start()
	gen, err := Start(context.Background(), Options{Endpoint: c.otlp, Rate: rate, Streams: 2})
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d", seed)
	for i := range kills {
		wait := time.Duration(1500+rng.IntN(3500)) * time.Millisecond
		time.Sleep(wait)
		before := gen.Stats().Acknowledged
		c.kill()
		t.Logf("kill %d after %s: %d spans acknowledged so far", i+1, wait.Round(time.Millisecond), before)
		c.start()
	}
	time.Sleep(2 * time.Second)
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := gen.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	c.waitQueueEmpty(2 * time.Minute)
	c.stop()
	for _, w := range c.startWarnings() {
		t.Errorf("the shipped configuration warns at start: %s", w)
	}

	st := gen.Stats()
	acked := gen.Acknowledged()
	stored := storedSpans(t, c.db())
	var missing, duplicates, rows int
	for _, id := range acked {
		if stored[id] == 0 {
			missing++
		}
	}
	for _, n := range stored {
		rows += n
		if n > 1 {
			duplicates += n - 1
		}
	}
	t.Logf("%d kills; recorded %d spans in %s (%.0f/s), acknowledged %d, failed exports %d spans; "+
		"export attempts OK %d, refused or unreachable %d; stored %d rows, %d distinct spans; "+
		"acknowledged but missing %d, duplicates %d",
		kills, st.Recorded, st.Elapsed.Round(time.Millisecond), float64(st.Recorded)/st.Elapsed.Seconds(),
		st.Acknowledged, st.Failed, st.Attempts[codes.OK], refusals(st), rows, len(stored), missing, duplicates)
	if missing != 0 {
		t.Errorf("%d of %d acknowledged spans are not stored", missing, len(acked))
	}
	if duplicates != 0 {
		t.Errorf("%d rows are second copies of a span", duplicates)
	}
	if len(acked) < rate {
		t.Errorf("only %d spans acknowledged: the load never reached the collector", len(acked))
	}
}

// refusals is the export attempts that did not succeed.
func refusals(s Stats) int64 {
	var n int64
	for code, k := range s.Attempts {
		if code != codes.OK {
			n += k
		}
	}
	return n
}
