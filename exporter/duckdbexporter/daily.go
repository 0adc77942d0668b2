package duckdbexporter

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"
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

// aggregateDaily sums rows by roll-up key.
func aggregateDaily(rows []usageRow) map[dailyKey]*dailyAgg {
	out := make(map[dailyKey]*dailyAgg)
	for i := range rows {
		v := &rows[i].values
		model := text(v[colResponseModel])
		if model == "" {
			model = text(v[colRequestModel])
		}
		k := dailyKey{
			day: v[colDay].(time.Time), provider: text(v[colProvider]), model: model,
			service: text(v[colServiceName]), user: text(v[colUserID]),
			project: text(v[colProjectID]), action: text(v[colActionType]),
		}
		a := out[k]
		if a == nil {
			a = &dailyAgg{}
			out[k] = a
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
		// As queries/rollup.sql counts: a call without a cost is unpriced, never free.
		if c, ok := v[colCostUSD].(float64); ok {
			a.cost += c
		} else {
			a.unpriced++
		}
		if d, ok := v[colDuration].(float64); ok {
			a.duration += d
		}
		if t := v[colStartTime].(time.Time); t.After(a.lastSeen) {
			a.lastSeen = t
		}
	}
	return out
}

func text(v any) string   { s, _ := v.(string); return s }
func integer(v any) int64 { n, _ := v.(int64); return n }

// upsertDaily adds rows to the daily roll-up within the connection's transaction.
func upsertDaily(ctx context.Context, conn *sql.Conn, stmts *statements, rows []usageRow) error {
	aggs := aggregateDaily(rows)
	if _, err := conn.ExecContext(ctx, stmts.dailyStage); err != nil {
		return fmt.Errorf("stage daily roll-up: %w", err)
	}
	err := rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderFromConn(dc, "", "aiusage_daily_batch")
		if err != nil {
			return err
		}
		for k, a := range aggs {
			if err := app.AppendRow(k.day, k.provider, k.model, k.service, k.user, k.project, k.action,
				a.requests, a.errors, a.rateLimited, a.streamed, a.input, a.output, a.cacheRead, a.reasoning,
				a.cost, a.unpriced, a.duration, a.lastSeen); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("stage daily roll-up: %w", err)
	}
	if _, err := conn.ExecContext(ctx, stmts.dailyUpsert); err != nil {
		return fmt.Errorf("update daily roll-up: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM aiusage_daily_batch`); err != nil {
		return fmt.Errorf("clear daily roll-up stage: %w", err)
	}
	return nil
}
