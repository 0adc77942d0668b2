package queries

import (
	"fmt"
	"math"
	"time"
)

// Limits bound what the report endpoint spends on queries, so that its readers cannot
// take the database from the process that writes it. The mapstructure keys are the
// collector configuration's (under the duckdb exporter's reports:).
type Limits struct {
	// MaxConcurrent is how many report queries run at once.
	MaxConcurrent int `mapstructure:"max_concurrent"`
	// QueryTimeShare is the share of time a query slot may be busy: after a query of
	// d the slot rests d*(1-QueryTimeShare)/QueryTimeShare, so that on a small machine
	// the writer keeps its CPU however many clients ask. 0 or 1 means no rest.
	QueryTimeShare float64 `mapstructure:"query_time_share"`
	// MaxQueued is how many more distinct requests wait for a query slot; beyond them
	// a request is answered 503 with Retry-After.
	MaxQueued int `mapstructure:"max_queued"`
	// QueryTimeout stops a query that runs longer (DuckDB interrupts it); a request
	// also waits at most this long for its turn and for a slot.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`
	// CacheTTL is how long a result also answers identical requests (same report,
	// same bound parameters); 0 shares a result only among requests that arrive while
	// it is computed.
	CacheTTL time.Duration `mapstructure:"cache_ttl"`
	// RequestsPerSecond is how many requests a second are answered, cached ones and
	// errors included; more wait their turn (up to QueryTimeout, then 503 with
	// Retry-After). Waiting costs no CPU, answering does: clients that ask again as soon
	// as they have an answer would otherwise take the CPU from the writer. 0 means no
	// limit.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
}

// DefaultLimits is one query at a time for at most half the time, 16 waiting, 15 s
// per query, results reused for 2 s and 100 requests a second.
func DefaultLimits() Limits {
	return Limits{MaxConcurrent: 1, QueryTimeShare: 0.5, MaxQueued: 16, QueryTimeout: 15 * time.Second,
		CacheTTL: 2 * time.Second, RequestsPerSecond: 100}
}

// Check returns an error for each limit out of its range, naming its key.
func (l Limits) Check() []error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if l.MaxConcurrent < 1 || l.MaxConcurrent > 64 {
		bad("max_concurrent", "%d must be 1 to 64 (queries share the CPU with ingest)", l.MaxConcurrent)
	}
	if math.IsNaN(l.QueryTimeShare) || l.QueryTimeShare <= 0 || l.QueryTimeShare > 1 {
		bad("query_time_share", "%g must be more than 0 and at most 1", l.QueryTimeShare)
	}
	if l.MaxQueued < 0 || l.MaxQueued > 10000 {
		bad("max_queued", "%d must be 0 to 10000", l.MaxQueued)
	}
	if l.QueryTimeout <= 0 {
		bad("query_timeout", "%s must be positive", l.QueryTimeout)
	}
	if l.CacheTTL < 0 {
		bad("cache_ttl", "%s must not be negative (0 = share results only among simultaneous requests)", l.CacheTTL)
	}
	if math.IsNaN(l.RequestsPerSecond) || l.RequestsPerSecond < 1 || l.RequestsPerSecond > 100000 {
		bad("requests_per_second", "%g must be 1 to 100000", l.RequestsPerSecond)
	}
	return errs
}
