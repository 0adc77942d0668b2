package duckdbexporter

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// dailyKey is the roll-up's primary key; ” stands for a missing value.
type dailyKey struct {
	day                                             time.Time
	provider, model, service, user, project, action string
}

// dailyAgg is one roll-up row's additive part.
type dailyAgg struct {
	requests, errors, rateLimited, streamed int64
	input, output, cacheRead, reasoning     int64
	cost                                    float64
	unpriced                                int64
	duration                                float64
	lastSeen                                time.Time
}

// dailyAggregates are a batch's roll-up rows by key.
type dailyAggregates map[dailyKey]*dailyAgg

// add counts one usage row, as queries/rollup.sql counts raw rows.
func (d dailyAggregates) add(v *usageRow) {
	model := text(v[colResponseModel])
	if model == "" {
		model = text(v[colRequestModel])
	}
	k := dailyKey{
		day: v[colDay].(time.Time), provider: text(v[colProvider]), model: model,
		service: text(v[colServiceName]), user: text(v[colUserID]),
		project: text(v[colProjectID]), action: text(v[colActionType]),
	}
	a := d[k]
	if a == nil {
		a = &dailyAgg{}
		d[k] = a
	}
	a.requests++
	status, _ := v[colStatusCode].(int32)
	if v[colErrorType] != nil || status >= 400 {
		a.errors++
	}
	if status == 429 {
		a.rateLimited++
	}
	if s, _ := v[colStreaming].(bool); s {
		a.streamed++
	}
	a.input += integer(v[colInputTokens])
	a.output += integer(v[colOutputTokens])
	a.cacheRead += integer(v[colCacheReadTokens])
	a.reasoning += integer(v[colReasoningTokens])
	// A call the instrumentation could not price is unpriced, never free; a failed
	// call with no usage has no cost status and is neither (as queries/rollup.sql).
	if c, ok := v[colCostUSD].(float64); ok {
		a.cost += c
	} else if v[colCostStatus] != nil {
		a.unpriced++
	}
	if d, ok := v[colDuration].(float64); ok {
		a.duration += d
	}
	if t := v[colStartTime].(time.Time); t.After(a.lastSeen) {
		a.lastSeen = t
	}
}

func text(v any) string   { s, _ := v.(string); return s }
func integer(v any) int64 { n, _ := v.(int64); return n }

// upsertDaily adds rows to the daily roll-up within the connection's transaction.
//
// The aggregates go in as statement parameters, up to dailyChunk keys a statement: a
// batch has few keys (days x models x users), and one statement is cheaper than
// staging them in a table.
func upsertDaily(ctx context.Context, conn *sql.Conn, stmts *statements, aggs dailyAggregates) error {
	args := make([]any, 0, min(len(aggs), dailyChunk)*dailyColumns)
	flush := func(n int) error {
		if n == 0 {
			return nil
		}
		q := fmt.Sprintf(stmts.dailyUpsert, valuesList(n, dailyColumns))
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("update daily roll-up: %w", err)
		}
		args = args[:0]
		return nil
	}
	n := 0
	for k, a := range aggs {
		args = append(args, k.day, k.provider, k.model, k.service, k.user, k.project, k.action,
			a.requests, a.errors, a.rateLimited, a.streamed, a.input, a.output, a.cacheRead, a.reasoning,
			a.cost, a.unpriced, a.duration, a.lastSeen)
		if n++; n == dailyChunk {
			if err := flush(n); err != nil {
				return err
			}
			n = 0
		}
	}
	return flush(n)
}

// dailyColumns is the roll-up's column count; dailyChunk the most keys one statement takes.
const (
	dailyColumns = 19
	dailyChunk   = 256
)

// valuesList is "(?, ...), ..." for rows rows of cols parameters.
func valuesList(rows, cols int) string {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	var b strings.Builder
	b.Grow(rows * (len(row) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
