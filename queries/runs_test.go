package queries

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowReport is a read-only report whose query scans for ages when n > 0, so that
// only an interrupt ends it, and answers at once when n = 0.
func slowReport(t *testing.T) *Report {
	t.Helper()
	r, err := Parse("slow", `-- Slow.
-- Question: does an interrupt stop it?
--
-- Parameters:
--   n  INTEGER  0..1000  0: answer at once
--
-- Columns:
--   c  BIGINT  rows counted

SELECT count(*) AS c FROM range(CASE WHEN getvariable('n') > 0 THEN 1000000000000 ELSE 1 END) r WHERE r.range % 7 = 3;
`)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func n(v int) map[string]string { return map[string]string{"n": strconv.Itoa(v)} }

// eventually polls cond for up to 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

func (s *sharedRuns) inFlightNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

func TestQueryTimeoutInterruptsDuckDB(t *testing.T) {
	db, _ := newDB(t)
	s := newSharedRuns(db, Limits{MaxConcurrent: 1, QueryTimeout: 300 * time.Millisecond})
	defer s.close()
	start := time.Now()
	_, err := s.result(context.Background(), slowReport(t), n(1))
	var timeout *TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	t.Logf("a scan of 10^12 rows with a 300ms timeout ended after %s: %v", time.Since(start).Round(time.Millisecond), err)
	// The connection is usable again and the slot free.
	if res, err := s.result(context.Background(), slowReport(t), n(0)); err != nil || len(res.Rows) != 1 {
		t.Fatalf("after the timeout: %v %v", res, err)
	}
}

func TestBusyEndpointAnswersRetryAfter(t *testing.T) {
	db, _ := newDB(t)
	s := newSharedRuns(db, Limits{MaxConcurrent: 1, MaxQueued: 0, QueryTimeout: time.Minute})
	defer s.close()
	slow := slowReport(t)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err := s.result(ctx, slow, n(1)); errs <- err }()
	eventually(t, "the slow query runs", func() bool { return s.inFlightNow() == 1 })

	_, err := s.result(context.Background(), slow, n(2))
	var busy *BusyError
	if !errors.As(err, &busy) || busy.RetryAfter < time.Second {
		t.Fatalf("a second query: %v, want busy with Retry-After", err)
	}
	// The same request joins the run in flight instead of needing a slot.
	go func() { _, err := s.result(ctx, slow, n(1)); errs <- err }()
	eventually(t, "the identical request joins", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.runs[runKey("slow", n(1))].waiters == 2
	})
	// When every requester has gone, DuckDB is interrupted and the slot is free.
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("abandoned request: %v", err)
		}
	}
	eventually(t, "the abandoned query stops", func() bool { return s.inFlightNow() == 0 })
	if _, err := s.result(context.Background(), slow, n(0)); err != nil {
		t.Fatalf("after the slot came free: %v", err)
	}
}

func TestIdenticalRequestsShareOneRun(t *testing.T) {
	db, _ := newDB(t)
	s := newSharedRuns(db, Limits{MaxConcurrent: 1, MaxQueued: 1, QueryTimeout: time.Minute})
	defer s.close()
	slow := slowReport(t)
	// Hold the only slot, so that the next run waits in line.
	hold, release := context.WithCancel(context.Background())
	go s.result(hold, slow, n(1)) //nolint:errcheck // canceled below
	eventually(t, "the slot is taken", func() bool { return s.inFlightNow() == 1 })

	const clients = 8
	results := make([]*Result, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			var err error
			if results[i], err = s.result(context.Background(), slow, n(0)); err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		})
	}
	// One waiting place is enough for all of them: they share one run.
	eventually(t, "the clients wait on one run", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		run := s.runs[runKey("slow", n(0))]
		return run != nil && run.waiters == clients
	})
	release()
	wg.Wait()
	for i := range results {
		if results[i] == nil || results[i] != results[0] {
			t.Fatalf("client %d got %p, client 0 %p: not one shared result", i, results[i], results[0])
		}
	}
}

func TestResultCache(t *testing.T) {
	db, _ := newDB(t)
	slow := slowReport(t)
	for _, tt := range []struct {
		ttl  time.Duration
		same bool
	}{{time.Hour, true}, {0, false}} {
		s := newSharedRuns(db, Limits{MaxConcurrent: 1, QueryTimeout: time.Minute, CacheTTL: tt.ttl})
		a, err1 := s.result(context.Background(), slow, n(0))
		b, err2 := s.result(context.Background(), slow, n(0))
		if err1 != nil || err2 != nil || (a == b) != tt.same {
			t.Errorf("cache_ttl %s: two requests in a row share a result: %v, want %v (%v %v)", tt.ttl, a == b, tt.same, err1, err2)
		}
		s.close()
	}
}

func TestCloseStopsQueries(t *testing.T) {
	db, _ := newDB(t)
	s := newSharedRuns(db, Limits{MaxConcurrent: 1, QueryTimeout: time.Hour})
	errs := make(chan error, 1)
	go func() { _, err := s.result(context.Background(), slowReport(t), n(1)); errs <- err }()
	eventually(t, "the slow query runs", func() bool { return s.inFlightNow() == 1 })
	s.close() // returns once DuckDB has stopped
	if err := <-errs; err == nil {
		t.Error("the query outlived close")
	}
	var busy *BusyError
	if _, err := s.result(context.Background(), slowReport(t), n(0)); !errors.As(err, &busy) {
		t.Errorf("after close: %v, want busy (shutting down)", err)
	}
}

func TestHandlerBusyStatuses(t *testing.T) {
	db := newFileDB(t)
	tests := []struct {
		name           string
		cfg            Limits
		hold           string // "query": a slow query holds the only slot; "slot": the slot is taken
		wantStatus     int
		wantRetryAfter bool
		wantBody       string
	}{
		{"no slot and no waiting place", Limits{MaxConcurrent: 1, QueryTimeout: time.Minute}, "query",
			503, true, "the report endpoint is busy: 1 queries running or waiting"},
		{"no slot within the timeout", Limits{MaxConcurrent: 1, MaxQueued: 1, QueryTimeout: 200 * time.Millisecond}, "slot",
			503, true, "no query slot came free within 200ms"},
		{"query timeout", Limits{MaxConcurrent: 1, QueryTimeout: time.Nanosecond}, "",
			503, false, "report daily ran longer than 1ns and was stopped"},
		// The first request must finish (daily prices calls in SQL: 50-200 ms on a busy machine),
		// the second must wait longer than the timeout for its turn (2 s at 0.5 a second).
		{"over the request rate", Limits{MaxConcurrent: 1, QueryTimeout: time.Second, RequestsPerSecond: 0.5}, "",
			503, true, "more requests than the 0.5 a second it answers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(db, tt.cfg, nil)
			srv := httptest.NewServer(h)
			defer srv.Close()
			defer h.Close()
			switch tt.hold {
			case "slot":
				h.runs.slots <- struct{}{}
				defer func() { <-h.runs.slots }()
			case "query":
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go h.runs.result(ctx, slowReport(t), n(1)) //nolint:errcheck // canceled at the end
				eventually(t, "the slot is taken", func() bool { return h.runs.inFlightNow() == 1 })
			}
			if tt.cfg.RequestsPerSecond > 0 { // the first request takes the one turn there is
				if code, _, body := get(t, srv, "/reports/daily"); code != http.StatusOK {
					t.Fatalf("first request: %d %s", code, body)
				}
			}
			code, retry, body := get(t, srv, "/reports/daily")
			if code != tt.wantStatus || (retry != "") != tt.wantRetryAfter || !strings.Contains(body, tt.wantBody) {
				t.Errorf("= %d Retry-After %q %s, want %d (Retry-After: %v) containing %q", code, retry, body, tt.wantStatus, tt.wantRetryAfter, tt.wantBody)
			}
			if secs, err := strconv.Atoi(retry); retry != "" && (err != nil || secs < 1) {
				t.Errorf("Retry-After %q is not a number of seconds", retry)
			}
		})
	}
}
