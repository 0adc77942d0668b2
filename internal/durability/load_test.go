package durability

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/queries"
)

// TestReportsDuringIngest measures the shipped collector's ingest at 8,000 spans/s
// offered, first quiet, then while 50 clients run reports on its report endpoint as
// fast as it lets them (honouring Retry-After when it sheds load). It prints both
// throughputs and their ratio; the target is within 20%, not asserted, since the
// machine is shared. It asserts that the endpoint answered, with 200 or with a
// load-shedding 429/503.
func TestReportsDuringIngest(t *testing.T) {
	const (
		rate    = 8000
		clients = 50
		phase   = 15 * time.Second
	)
	c := newCollector(t)
	c.start()
	gen, err := Start(context.Background(), Options{Endpoint: c.otlp, Rate: rate, Streams: 2})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the first batches, the first checkpoint

	quiet := c.measureIngest(gen, phase)
	load := startReportClients(c.proc.Endpoints.ReportsURL(), clients)
	busy := c.measureIngest(gen, phase)
	reports := load.stop()

	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := gen.Stop(stopCtx); err != nil {
		t.Error(err)
	}
	c.stop()

	t.Logf("quiet: acknowledged %.0f spans/s, stored %.0f spans/s, queue at the end %s",
		quiet.acked, quiet.stored, mib(quiet.queued))
	t.Logf("with %d report clients: acknowledged %.0f spans/s, stored %.0f spans/s, queue at the end %s",
		clients, busy.acked, busy.stored, mib(busy.queued))
	t.Logf("ratio with reports / quiet: acknowledged %.2f, stored %.2f (target ≥ 0.80)",
		busy.acked/quiet.acked, busy.stored/quiet.stored)
	t.Logf("reports: %d requests (%.0f/s), by status %v, transport errors %d; latency of 200s p50 %s p99 %s",
		reports.requests(), float64(reports.requests())/phase.Seconds(), reports.status, reports.errors,
		reports.percentile(0.50), reports.percentile(0.99))

	if reports.status[http.StatusOK] == 0 {
		t.Errorf("no report answered 200 during ingest: %v", reports.status)
	}
	if reports.failure != "" {
		t.Errorf("a report answered neither 200 nor a load-shedding 429/503; the first: %s", reports.failure)
	}
	if quiet.acked == 0 || busy.acked == 0 {
		t.Errorf("no ingest measured: quiet %.0f/s, with reports %.0f/s", quiet.acked, busy.acked)
	}
}

// ingest is the collector's throughput over one phase.
type ingest struct {
	acked, stored float64 // spans a second: acknowledged to the generator, written to DuckDB
	queued        int64   // the duckdb queue's bytes at the end
}

// measureIngest counts the spans acknowledged and stored over d.
func (c *collector) measureIngest(gen *Generator, d time.Duration) ingest {
	c.t.Helper()
	sent := func() float64 {
		n, err := c.metric("otelcol_exporter_sent_spans", map[string]string{"exporter": "duckdb"})
		if err != nil {
			c.t.Fatal(err)
		}
		return n
	}
	acked0, stored0, start := gen.Stats().Acknowledged, sent(), time.Now()
	time.Sleep(d)
	acked1, stored1, secs := gen.Stats().Acknowledged, sent(), time.Since(start).Seconds()
	queued, _ := c.metric("otelcol_exporter_queue_size", duckdbQueue)
	return ingest{acked: float64(acked1-acked0) / secs, stored: (stored1 - stored0) / secs, queued: int64(queued)}
}

// reportLoad is clients running reports in a loop until stopped.
type reportLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	status  map[int]int
	errors  int
	latency []time.Duration // of 200s
	failure string          // the first answer other than 200, 429 or 503
}

// startReportClients starts n clients, each running every read-only report in turn.
// A 429 or 503 is load shed: the client waits as Retry-After says (at most 5 s).
func startReportClients(baseURL string, n int) *reportLoad {
	var names []string
	for _, r := range queries.All() {
		if r.ReadOnly() {
			names = append(names, r.Name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &reportLoad{cancel: cancel, status: map[int]int{}}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for i := range n {
		l.wg.Go(func() {
			for j := i; ctx.Err() == nil; j++ {
				wait := l.run(ctx, client, baseURL+"/reports/"+names[j%len(names)])
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
			}
		})
	}
	return l
}

// run runs one report and returns how long to wait before the next.
func (l *reportLoad) run(ctx context.Context, client *http.Client, url string) time.Duration {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	var resp *http.Response
	if err == nil {
		resp, err = client.Do(req)
	}
	if err != nil {
		if ctx.Err() == nil {
			l.mu.Lock()
			l.errors++
			l.mu.Unlock()
		}
		return 100 * time.Millisecond
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status[resp.StatusCode]++
	switch resp.StatusCode {
	case http.StatusOK, http.StatusTooManyRequests, http.StatusServiceUnavailable:
	default:
		if l.failure == "" {
			l.failure = fmt.Sprintf("%s: %d %.300s", url, resp.StatusCode, body)
		}
	}
	if resp.StatusCode == http.StatusOK {
		l.latency = append(l.latency, took)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, 5*time.Second)
		}
		return time.Second
	}
	return 0
}

// stop stops the clients and returns what they saw.
func (l *reportLoad) stop() *reportLoad {
	l.cancel()
	l.wg.Wait()
	return l
}

func (l *reportLoad) requests() int {
	n := l.errors
	for _, k := range l.status {
		n += k
	}
	return n
}

func (l *reportLoad) percentile(p float64) string {
	if len(l.latency) == 0 {
		return "-"
	}
	s := slices.Clone(l.latency)
	slices.Sort(s)
	return s[min(int(p*float64(len(s))), len(s)-1)].Round(time.Millisecond).String()
}
