package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"time"
)

// BusyError is a request the endpoint turned away because its queries are all taken;
// RetryAfter is when a retry is likely to get a slot.
type BusyError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *BusyError) Error() string { return e.Reason }

// TimeoutError is a query stopped because it ran longer than the endpoint allows.
type TimeoutError struct {
	Report string
	Limit  time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("report %s ran longer than %s and was stopped; ask for a shorter period", e.Report, e.Limit)
}

// maxCached bounds the results kept for reuse.
const maxCached = 64

// sharedRuns runs the endpoint's report queries so that readers cannot take the
// database from the writer: at most MaxConcurrent at once, each slot busy at most
// QueryTimeShare of the time, at most MaxQueued more in line, identical requests in flight
// sharing one run, and a result answering identical requests for CacheTTL after it.
type sharedRuns struct {
	db    *sql.DB
	lim   Limits
	slots chan struct{}

	ctx    context.Context // ends when the handler closes
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	runs     map[string]*sharedRun // in flight, or done and cached
	inFlight int                   // runs not done: running or waiting for a slot
	cached   int                   // done runs kept in runs
	avg      time.Duration         // moving average of query time
}

// sharedRun is one query and everyone waiting for its result.
type sharedRun struct {
	key     string
	done    chan struct{}
	res     *Result
	err     error
	expires time.Time
	waiters int
	cancel  context.CancelFunc
}

func newSharedRuns(db *sql.DB, lim Limits) *sharedRuns {
	ctx, cancel := context.WithCancel(context.Background())
	return &sharedRuns{db: db, lim: lim, slots: make(chan struct{}, lim.MaxConcurrent), ctx: ctx, cancel: cancel,
		runs: map[string]*sharedRun{}, avg: time.Second}
}

// result returns the result of rep with the bound values vals: cached, shared with an
// identical request in flight, or from a new run if there is room for one.
func (s *sharedRuns) result(ctx context.Context, rep *Report, vals map[string]string) (*Result, error) {
	key := runKey(rep.Name, vals)
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return nil, &BusyError{RetryAfter: 5 * time.Second, Reason: "the report endpoint is shutting down"}
	}
	if run, ok := s.runs[key]; ok {
		select {
		case <-run.done:
			if time.Now().Before(run.expires) {
				s.mu.Unlock()
				return run.res, nil
			}
			s.forget(run)
		default:
			if run.waiters > 0 { // else it is being stopped: start afresh
				run.waiters++
				s.mu.Unlock()
				return s.wait(ctx, run)
			}
		}
	}
	if s.inFlight >= s.lim.MaxConcurrent+s.lim.MaxQueued {
		retry := s.retryAfter()
		s.mu.Unlock()
		return nil, &BusyError{RetryAfter: retry, Reason: fmt.Sprintf(
			"the report endpoint is busy: %d queries running or waiting, the most it takes", s.lim.MaxConcurrent+s.lim.MaxQueued)}
	}
	runCtx, cancel := context.WithCancel(s.ctx)
	run := &sharedRun{key: key, done: make(chan struct{}), waiters: 1, cancel: cancel}
	s.runs[key] = run
	s.inFlight++
	s.wg.Add(1)
	s.mu.Unlock()
	go s.execute(runCtx, run, rep, vals)
	return s.wait(ctx, run)
}

// wait returns run's outcome, or gives up when ctx ends; the last one to give up stops
// the query.
func (s *sharedRuns) wait(ctx context.Context, run *sharedRun) (*Result, error) {
	select {
	case <-run.done:
		return run.res, run.err
	case <-ctx.Done():
		s.mu.Lock()
		if run.waiters--; run.waiters == 0 {
			run.cancel()
		}
		s.mu.Unlock()
		return nil, ctx.Err()
	}
}

// execute waits for a slot, at most QueryTimeout, then runs the query, at most
// QueryTimeout.
func (s *sharedRuns) execute(ctx context.Context, run *sharedRun, rep *Report, vals map[string]string) {
	defer s.wg.Done()
	defer run.cancel()
	res, err := s.runInSlot(ctx, rep, vals)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	run.res, run.err = res, err
	if s.runs[run.key] == run { // else a new run replaced this stopped one
		s.sweep()
		if err == nil && s.lim.CacheTTL > 0 && s.cached < maxCached {
			run.expires = time.Now().Add(s.lim.CacheTTL)
			s.cached++
		} else {
			delete(s.runs, run.key)
		}
	}
	close(run.done)
}

func (s *sharedRuns) runInSlot(ctx context.Context, rep *Report, vals map[string]string) (*Result, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	qctx, cancel := context.WithTimeout(ctx, s.lim.QueryTimeout)
	defer cancel()
	start := time.Now()
	res, err := rep.runBound(qctx, s.db, vals)
	took := time.Since(start)
	s.release(took)
	s.mu.Lock()
	s.avg = (3*s.avg + took) / 4
	s.mu.Unlock()
	if err != nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return nil, &TimeoutError{Report: rep.Name, Limit: s.lim.QueryTimeout}
	}
	return res, err
}

// acquire takes a query slot: a free one at once, else the first to come free
// within QueryTimeout.
func (s *sharedRuns) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(s.lim.QueryTimeout)
	defer wait.Stop()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-wait.C:
		s.mu.Lock()
		retry := s.retryAfter()
		s.mu.Unlock()
		return &BusyError{RetryAfter: retry, Reason: fmt.Sprintf("the report endpoint is busy: no query slot came free within %s", s.lim.QueryTimeout)}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees the slot of a query that took d, after a rest that keeps the slot's
// queries to QueryTimeShare of the time.
func (s *sharedRuns) release(d time.Duration) {
	if s.lim.QueryTimeShare <= 0 || s.lim.QueryTimeShare >= 1 {
		<-s.slots
		return
	}
	time.AfterFunc(time.Duration(float64(d)*(1-s.lim.QueryTimeShare)/s.lim.QueryTimeShare), func() { <-s.slots })
}

// sweep drops cached results that have expired. s.mu is held.
func (s *sharedRuns) sweep() {
	now := time.Now()
	for _, run := range s.runs {
		if !run.expires.IsZero() && now.After(run.expires) {
			s.forget(run)
		}
	}
}

// forget drops a done run from the cache. s.mu is held.
func (s *sharedRuns) forget(run *sharedRun) {
	if s.runs[run.key] == run {
		delete(s.runs, run.key)
	}
	if !run.expires.IsZero() {
		s.cached--
	}
}

// retryAfter estimates when a slot is free for a new request: the queries ahead of it
// at the recent average time each and its rest, shared among the slots. s.mu is held.
func (s *sharedRuns) retryAfter() time.Duration {
	ahead := float64(s.inFlight+1) / float64(s.lim.MaxConcurrent)
	each := s.avg.Seconds()
	if s.lim.QueryTimeShare > 0 && s.lim.QueryTimeShare < 1 {
		each /= s.lim.QueryTimeShare
	}
	secs := math.Ceil(ahead * each)
	return time.Duration(min(max(secs, 1), 60)) * time.Second
}

// close stops every query and waits for them to end.
func (s *sharedRuns) close() {
	s.mu.Lock() // a run admitted before is counted in wg
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
}

// runKey identifies a report and its bound values.
func runKey(name string, vals map[string]string) string {
	q := url.Values{}
	for k, v := range vals {
		q.Set(k, v)
	}
	return name + "?" + q.Encode()
}
