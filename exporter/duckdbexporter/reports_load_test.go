package duckdbexporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/queries"
)

// loadBatch is the batch the ingest side pushes: the exporter's queue hands it
// batches of this order at 8,000 spans/s.
const loadBatch = 2000

// recentTraces is a batch of loadBatch Groq calls by 200 users, to be renumbered and
// dated by restamp.
func recentTraces() ptrace.Traces {
	spans := make([]testSpan, loadBatch)
	for i := range spans {
		attrs := groqCall()
		attrs[string(semconv.UserID)] = fmt.Sprintf("user-%d", i%200)
		spans[i] = testSpan{n: uint64(i), attrs: attrs}
	}
	return buildTraces(spans...)
}

// restamp gives every span of td the ids from first on and start times spaced by step
// from start, so that each push is new data.
func restamp(td ptrace.Traces, first uint64, start time.Time, step time.Duration) {
	i := uint64(0)
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				t := start.Add(time.Duration(i) * step)
				sp.SetTraceID(traceID(first + i))
				sp.SetSpanID(spanID(first + i))
				sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t))
				sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t.Add(800 * time.Millisecond)))
				i++
			}
		}
	}
}

// ingestFigures is what a paced ingest run achieved.
type ingestFigures struct {
	spans   int
	elapsed time.Duration
	pushP99 time.Duration
}

func (f ingestFigures) rate() float64 { return float64(f.spans) / f.elapsed.Seconds() }

// reportFigures is what the report clients saw.
type reportFigures struct {
	ok, busy, other atomic.Int64
	mu              sync.Mutex
	latencies       []time.Duration
}

// get asks for one report and counts the answer.
func (f *reportFigures) get(hc *http.Client, url string) {
	t0 := time.Now()
	resp, err := hc.Get(url)
	if err != nil {
		f.other.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		f.ok.Add(1)
		f.mu.Lock()
		f.latencies = append(f.latencies, time.Since(t0))
		f.mu.Unlock()
	case http.StatusServiceUnavailable:
		f.busy.Add(1)
	default:
		f.other.Add(1)
	}
}

func (f *reportFigures) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	slices.Sort(f.latencies)
	pct := func(p float64) time.Duration {
		if len(f.latencies) == 0 {
			return 0
		}
		return f.latencies[int(p*float64(len(f.latencies)-1))]
	}
	return fmt.Sprintf("%d answered 200 (p50 %s, p99 %s), %d answered 503 busy, %d other",
		f.ok.Load(), pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), f.busy.Load(), f.other.Load())
}

// TestIngestWithReportClients measures span ingest through the exporter's write path,
// offered 8,000 spans/s over a file of 200,000 recent spans: quiet, and with 50 report
// clients that each ask again as soon as they have an answer (a 503 included). The
// clients ask the exporter's endpoint (the shipped bounds) and, for comparison, an
// endpoint on the same database with no bounds. It prints the figures and each ratio
// to the quiet rate; timing is not asserted (the machine is shared).
func TestIngestWithReportClients(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: seconds of ingest and report traffic")
	}
	const (
		looseConcurrent = 6
		offered         = 8000 // spans/s
		phase           = 5 * time.Second
		clients         = 50
		prefill         = 200_000
	)
	cfg := testConfig(t)
	cfg.MemoryLimit = defaultMemoryLimit // the shipped settings, not the small test footprint
	cfg.Threads = 0
	cfg.Reports = defaultReportsConfig()
	cfg.Reports.Endpoint = freeAddr(t)
	e := startExporter(t, cfg)
	ctx := context.Background()

	td := recentTraces()
	next := uint64(0)
	push := func() error {
		// Spans of the last week, newest last: every report's default period reads them.
		restamp(td, next, time.Now().Add(-7*24*time.Hour).Add(time.Duration(next)*3*time.Millisecond), time.Millisecond)
		next += loadBatch
		return e.pushTraces(ctx, td)
	}
	for next < prefill {
		if err := push(); err != nil {
			t.Fatal(err)
		}
	}
	ingest := func() ingestFigures {
		// Each phase starts with the write-ahead log folded in, so that an automatic
		// checkpoint lands in every phase alike.
		if _, err := e.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
		interval := time.Duration(float64(time.Second) * loadBatch / offered)
		var pushes []time.Duration
		start := time.Now()
		for i := 0; time.Since(start) < phase; i++ {
			if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
				time.Sleep(wait)
			}
			t0 := time.Now()
			if err := push(); err != nil {
				t.Fatal(err)
			}
			pushes = append(pushes, time.Since(t0))
		}
		elapsed := time.Since(start)
		slices.Sort(pushes)
		return ingestFigures{spans: len(pushes) * loadBatch, elapsed: elapsed, pushP99: pushes[len(pushes)*99/100]}
	}

	// The comparison: no rest, no queue bound, no rate limit, and as many queries at once
	// as DuckDB's memory takes. Fifty at once over the priced rows exhaust its 512 MB, and
	// then ingest itself fails (out of memory, or a checkpoint that invalidates the file).
	unbounded := httptest.NewServer(queries.NewHandler(e.db, queries.Limits{MaxConcurrent: looseConcurrent, QueryTimeout: time.Minute}, nil))
	defer unbounded.Close()
	endpoints := []struct{ name, base string }{
		{"shipped bounds", "http://" + cfg.Reports.Endpoint + "/reports/"},
		{fmt.Sprintf("loose bounds (%d at once)", looseConcurrent), unbounded.URL + "/reports/"},
	}
	mixes := []struct {
		name string
		path func(client, i int) string
	}{
		{"the same reports", func(client, i int) string {
			names := []string{"daily", "users", "cost", "quota", "rates", "projects", "rate_limited"}
			return names[(client+i)%len(names)]
		}},
		{"a different user each", func(client, i int) string {
			return fmt.Sprintf("users?user_id=user-%d&days=%d", client%200, 7+i%3)
		}},
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	load := func(base string, path func(client, i int) string) (ingestFigures, *reportFigures) {
		var figs reportFigures
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					figs.get(hc, base+path(c, i))
				}
			})
		}
		f := ingest()
		close(stop)
		wg.Wait()
		return f, &figs
	}

	quiet := ingest()
	t.Logf("quiet: %.0f spans/s acknowledged (offered %d/s), push p99 %s", quiet.rate(), offered, quiet.pushP99.Round(time.Millisecond))
	type result struct {
		name    string
		ingest  ingestFigures
		reports *reportFigures
	}
	var results []result
	for _, ep := range endpoints {
		for _, mix := range mixes {
			f, figs := load(ep.base, mix.path)
			results = append(results, result{fmt.Sprintf("%s, %d clients asking for %s", ep.name, clients, mix.name), f, figs})
			if ep.name == endpoints[0].name && (figs.ok.Load() == 0 || figs.other.Load() != 0) {
				t.Errorf("%s, %s: report clients saw %s", ep.name, mix.name, figs)
			}
		}
	}
	again := ingest()
	quietRate := (quiet.rate() + again.rate()) / 2
	t.Logf("quiet again: %.0f spans/s acknowledged, push p99 %s; quiet mean %.0f spans/s", again.rate(), again.pushP99.Round(time.Millisecond), quietRate)
	for _, r := range results {
		t.Logf("%s: %.0f spans/s acknowledged, push p99 %s, ratio to quiet %.2f; reports: %s",
			r.name, r.ingest.rate(), r.ingest.pushP99.Round(time.Millisecond), r.ingest.rate()/quietRate, r.reports)
	}
}
