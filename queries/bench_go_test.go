package queries

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
	"github.com/aiusage/aiusage/internal/schema"
)

// The load-and-aggregate baselines: each loads the rows its report covers into Go with
// typed scans and aggregates them there, as the original app did.

// load runs query and calls each after scanning every row into dest.
func load(ctx context.Context, db *sql.DB, query string, dest []any, each func(), args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		each()
	}
	return rows.Err()
}

func modelOf(resp, req sql.NullString) string {
	if resp.String != "" {
		return resp.String
	}
	return req.String
}

var (
	benchFrom = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	benchTo   = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	benchEnd  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

type goAgg struct {
	requests, errors, limited, streamed, in, out, cached, reasoning, unpriced int64
	cost                                                                      float64
	last                                                                      time.Time
	users                                                                     map[string]struct{}
}

// row is one loaded call with the columns the usage baselines read.
type row struct {
	day                                        time.Time
	provider, reqModel, respModel, errType     sql.NullString
	user, project, action, costStatus, quotaID sql.NullString
	status                                     sql.NullInt64
	stream                                     sql.NullBool
	in, out, cached, reasoning                 sql.NullInt64
	cost, retry                                sql.NullFloat64
	start                                      time.Time
}

func (a *goAgg) add(r *row) {
	a.requests++
	if r.errType.Valid || r.status.Int64 >= 400 {
		a.errors++
	}
	if r.status.Int64 == 429 {
		a.limited++
	}
	if r.stream.Bool {
		a.streamed++
	}
	a.in += r.in.Int64
	a.out += r.out.Int64
	a.cached += r.cached.Int64
	a.reasoning += r.reasoning.Int64
	a.cost += r.cost.Float64
	if r.costStatus.String == "unpriced" {
		a.unpriced++
	}
	if r.start.After(a.last) {
		a.last = r.start
	}
}

const usageColumns = `SELECT day, provider, request_model, response_model, error_type, user_id, project_id, action_type,
	cost_status, status_code, streaming, input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens,
	cost_usd, start_time FROM ai_usage_log WHERE day BETWEEN ? AND ?`

func (r *row) usageDest() []any {
	return []any{&r.day, &r.provider, &r.reqModel, &r.respModel, &r.errType, &r.user, &r.project, &r.action,
		&r.costStatus, &r.status, &r.stream, &r.in, &r.out, &r.cached, &r.reasoning, &r.cost, &r.start}
}

func dailyInGo(ctx context.Context, db *sql.DB) (int, error) {
	type key struct {
		day             time.Time
		provider, model string
	}
	aggs := map[key]*goAgg{}
	var r row
	err := load(ctx, db, usageColumns, r.usageDest(), func() {
		k := key{r.day, r.provider.String, modelOf(r.respModel, r.reqModel)}
		a := aggs[k]
		if a == nil {
			a = &goAgg{}
			aggs[k] = a
		}
		a.add(&r)
	}, benchFrom, benchTo)
	return len(aggs), err
}

func usersInGo(ctx context.Context, db *sql.DB) (int, error) {
	aggs := map[string]*goAgg{}
	var r row
	err := load(ctx, db, usageColumns, r.usageDest(), func() {
		a := aggs[r.user.String]
		if a == nil {
			a = &goAgg{}
			aggs[r.user.String] = a
		}
		a.add(&r)
	}, benchFrom, benchTo)
	return len(aggs), err
}

func projectsInGo(ctx context.Context, db *sql.DB) (int, error) {
	aggs := map[[2]string]*goAgg{}
	var r row
	err := load(ctx, db, usageColumns, r.usageDest(), func() {
		k := [2]string{r.project.String, r.action.String}
		a := aggs[k]
		if a == nil {
			a = &goAgg{users: map[string]struct{}{}}
			aggs[k] = a
		}
		a.add(&r)
		a.users[r.user.String] = struct{}{}
	}, benchFrom, benchTo)
	return len(aggs), err
}

func costInGo(ctx context.Context, db *sql.DB) (int, error) {
	prices, err := loadPrices(ctx, db)
	if err != nil {
		return 0, err
	}
	type key struct{ provider, model, status string }
	type agg struct {
		requests, in, cached, out int64
		usd                       float64
	}
	aggs := map[key]*agg{}
	var r row
	err = load(ctx, db, usageColumns, r.usageDest(), func() {
		model := modelOf(r.respModel, r.reqModel)
		in, cached := max(r.in.Int64, 0), min(max(r.cached.Int64, 0), max(r.in.Int64, 0))
		u := usage.Usage{InputTokens: in, OutputTokens: r.out.Int64, CacheReadInputTokens: cached}
		bill := prices.Bill(r.provider.String, model, "", &u, r.day)
		k := key{r.provider.String, model, bill.Status}
		a := aggs[k]
		if a == nil {
			a = &agg{}
			aggs[k] = a
		}
		a.requests++
		a.in += in
		a.cached += cached
		a.out += r.out.Int64
		a.usd += bill.USD
	}, benchFrom, benchTo)
	return len(aggs), err
}

// loadPrices reads model_prices into a pricing table, as an app pricing in Go would.
func loadPrices(ctx context.Context, db *sql.DB) (*pricing.Table, error) {
	return schema.LoadPrices(ctx, db)
}

func quotaInGo(ctx context.Context, db *sql.DB) (int, error) {
	type key struct{ provider, model, resource, window string }
	type obs struct {
		at               time.Time
		limit, remaining float64
	}
	latest := map[key]obs{}
	see := func(k key, o obs) {
		if old, ok := latest[k]; !ok || o.at.After(old.at) {
			latest[k] = o
		}
	}
	since := benchEnd.Add(-30 * 24 * time.Hour)
	var (
		provider, req, resp sql.NullString
		start               time.Time
		rl, rr, tl, tr      sql.NullInt64
	)
	err := load(ctx, db, `SELECT provider, request_model, response_model, start_time, requests_limit, requests_remaining,
		tokens_limit, tokens_remaining FROM ai_usage_log WHERE day BETWEEN ? AND ?`,
		[]any{&provider, &req, &resp, &start, &rl, &rr, &tl, &tr}, func() {
			if !start.After(benchEnd.Add(-24*time.Hour)) || start.After(benchEnd) { // headers of the last day
				return
			}
			model := req.String
			if model == "" {
				model = resp.String
			}
			if rl.Valid {
				see(key{provider.String, model, "requests", "1d"}, obs{start, float64(rl.Int64), float64(rr.Int64)})
			}
			if tl.Valid {
				see(key{provider.String, model, "tokens", "1m"}, obs{start, float64(tl.Int64), float64(tr.Int64)})
			}
		}, benchEnd.Add(-24*time.Hour), benchEnd)
	if err != nil {
		return 0, err
	}
	var k key
	var o obs
	var model sql.NullString
	err = load(ctx, db, `SELECT time, provider, model, resource, "window", "limit", remaining FROM ai_quota_snapshot`,
		[]any{&o.at, &k.provider, &model, &k.resource, &k.window, &o.limit, &o.remaining}, func() {
			if !o.at.Before(since) && !o.at.After(benchEnd) {
				k.model = model.String
				see(k, o)
			}
		})
	return len(latest), err
}

func rateLimitedInGo(ctx context.Context, db *sql.DB) (int, error) {
	type key struct{ provider, model, quota, errType string }
	type agg struct {
		n           int64
		first, last time.Time
		retry       float64
	}
	aggs := map[key]*agg{}
	var r row
	since := benchEnd.Add(-720 * time.Hour)
	err := load(ctx, db, `SELECT provider, request_model, response_model, quota_id, error_type, status_code, start_time, retry_after_s
		FROM ai_usage_log WHERE day BETWEEN ? AND ?`,
		[]any{&r.provider, &r.reqModel, &r.respModel, &r.quotaID, &r.errType, &r.status, &r.start, &r.retry}, func() {
			if r.status.Int64 != 429 || !r.start.After(since) || r.start.After(benchEnd) {
				return
			}
			model := r.reqModel.String
			if model == "" {
				model = r.respModel.String
			}
			k := key{r.provider.String, model, r.quotaID.String, r.errType.String}
			a := aggs[k]
			if a == nil {
				a = &agg{first: r.start}
				aggs[k] = a
			}
			a.n++
			a.first = minTime(a.first, r.start)
			a.last = maxTime(a.last, r.start)
			a.retry = max(a.retry, r.retry.Float64)
		}, since.Truncate(24*time.Hour), benchEnd)
	return len(aggs), err
}

func ratesInGo(ctx context.Context, db *sql.DB) (int, error) {
	type key struct{ provider, model string }
	type agg struct {
		rpm, rpd, tpm int64
		minutes       map[int64][2]int64
	}
	aggs := map[key]*agg{}
	var r row
	since := benchEnd.Add(-720 * time.Hour)
	err := load(ctx, db, `SELECT provider, request_model, response_model, start_time, input_tokens, output_tokens
		FROM ai_usage_log WHERE day BETWEEN ? AND ?`,
		[]any{&r.provider, &r.reqModel, &r.respModel, &r.start, &r.in, &r.out}, func() {
			if !r.start.After(since) || r.start.After(benchEnd) {
				return
			}
			model := r.reqModel.String
			if model == "" {
				model = r.respModel.String
			}
			k := key{r.provider.String, model}
			a := aggs[k]
			if a == nil {
				a = &agg{minutes: map[int64][2]int64{}}
				aggs[k] = a
			}
			tokens := r.in.Int64 + r.out.Int64
			if r.start.After(benchEnd.Add(-time.Minute)) {
				a.rpm++
				a.tpm += tokens
			}
			if r.start.After(benchEnd.Add(-24 * time.Hour)) {
				a.rpd++
			}
			m := r.start.Unix() / 60
			v := a.minutes[m]
			a.minutes[m] = [2]int64{v[0] + 1, v[1] + tokens}
		}, since.Truncate(24*time.Hour), benchEnd)
	return len(aggs), err
}

// rollupInGo rebuilds ai_usage_daily from rows aggregated in Go.
func rollupInGo(ctx context.Context, db *sql.DB) (int, error) {
	type key struct {
		day                                    time.Time
		provider, model, user, project, action string
	}
	aggs := map[key]*goAgg{}
	var r row
	err := load(ctx, db, usageColumns, r.usageDest(), func() {
		k := key{r.day, r.provider.String, modelOf(r.respModel, r.reqModel), r.user.String, r.project.String, r.action.String}
		a := aggs[k]
		if a == nil {
			a = &goAgg{}
			aggs[k] = a
		}
		a.add(&r)
	}, benchFrom, benchTo)
	if err != nil {
		return 0, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `DELETE FROM ai_usage_daily WHERE day BETWEEN ? AND ?`, benchFrom, benchTo); err != nil {
		return 0, err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO ai_usage_daily VALUES (?, ?, ?, 'voice-app', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	days := map[time.Time]bool{}
	for k, a := range aggs {
		days[k.day] = true
		if _, err := stmt.ExecContext(ctx, k.day, k.provider, k.model, k.user, k.project, k.action, a.requests, a.errors,
			a.limited, a.streamed, a.in, a.out, a.cached, a.reasoning, a.cost, a.unpriced, a.last); err != nil {
			return 0, err
		}
	}
	return len(days), tx.Commit()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func BenchmarkDaily(b *testing.B)       { benchReport(b, "daily", dailyInGo) }
func BenchmarkUsers(b *testing.B)       { benchReport(b, "users", usersInGo) }
func BenchmarkProjects(b *testing.B)    { benchReport(b, "projects", projectsInGo) }
func BenchmarkCost(b *testing.B)        { benchReport(b, "cost", costInGo) }
func BenchmarkQuota(b *testing.B)       { benchReport(b, "quota", quotaInGo) }
func BenchmarkRateLimited(b *testing.B) { benchReport(b, "rate_limited", rateLimitedInGo) }
func BenchmarkRates(b *testing.B)       { benchReport(b, "rates", ratesInGo) }
func BenchmarkRollup(b *testing.B)      { benchReport(b, "rollup", rollupInGo) }
