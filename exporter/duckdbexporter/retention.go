package duckdbexporter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.uber.org/zap"
)

// retentionLoop deletes raw rows past the retention period at start and then every
// retention_interval, until ctx ends.
func (e *duckdbExporter) retentionLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.RetentionInterval)
	defer t.Stop()
	for {
		if _, err := e.applyRetention(ctx, e.now()); err != nil && ctx.Err() == nil {
			e.logger.Warn("duckdb retention failed; retrying at the next interval", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cutoffDay is the first UTC day whose raw rows are kept: retention rounds down to
// whole days, so a day is either complete in ai_usage_log or gone from it.
func cutoffDay(now time.Time, retention time.Duration) time.Time {
	return utcDay(now.Add(-retention))
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// applyRetention deletes the raw rows of UTC days before cutoffDay(now, retention) by
// the one rule of queries/retention.sql, run as it is with the configured table names,
// then checkpoints so the file gives the space back, and returns how many rows went.
// The daily roll-up is kept.
func (e *duckdbExporter) applyRetention(ctx context.Context, now time.Time) (int64, error) {
	today := utcDay(now)
	days := int(today.Sub(cutoffDay(now, e.cfg.Retention)) / (24 * time.Hour))
	args := map[string]string{"as_of": today.Format(time.DateOnly), "days": strconv.Itoa(days)}
	if e.cfg.Archive.enabled() {
		args["archived"] = "1" // delete only what the lake holds
	}
	e.maintMu.Lock()
	defer e.maintMu.Unlock()
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.db == nil {
		return 0, errNotStarted
	}
	res, err := e.sql.retention.Run(ctx, e.db, args)
	if err != nil {
		return 0, fmt.Errorf("retention on duckdb %q: %w", e.cfg.Path, err)
	}
	if len(res.Rows) != 1 {
		return 0, fmt.Errorf("retention on duckdb %q: %d result rows, want 1", e.cfg.Path, len(res.Rows))
	}
	row := map[string]any{}
	for i, c := range res.Columns {
		row[c.Name] = res.Rows[0][i]
	}
	var deleted int64
	for _, c := range []string{"rows_deleted", "snapshots_deleted", "points_deleted"} {
		n, _ := row[c].(int64)
		deleted += n
	}
	if kept, _ := row["days_kept_not_rolled_up"].([]any); len(kept) > 0 {
		e.logger.Warn("duckdb retention kept raw days that ai_usage_daily does not count in full; run queries/rollup.sql over them",
			zap.Any("days", kept))
	}
	if kept, _ := row["days_kept_not_archived"].([]any); len(kept) > 0 {
		e.logger.Info("duckdb retention kept raw days the archive does not hold in full yet", zap.Any("days", kept))
	}
	if deleted == 0 {
		return 0, nil
	}
	if err := e.checkpoint(ctx); err != nil {
		return deleted, fmt.Errorf("retention: checkpoint duckdb %q: %w", e.cfg.Path, err)
	}
	e.logger.Info("duckdb retention deleted raw rows", zap.Int64("rows", deleted), zap.Any("before_day", row["cutoff"]))
	return deleted, nil
}

// checkpoint writes the database to its file, giving back the space of deleted rows.
// DuckDB refuses while another write transaction is open; those that do not take
// writeMu (the budgets evaluator recording a crossing) are short, so it tries again.
func (e *duckdbExporter) checkpoint(ctx context.Context) error {
	for wait := 20 * time.Millisecond; ; wait *= 2 {
		_, err := e.db.ExecContext(ctx, "CHECKPOINT")
		var de *duckdb.Error
		if err == nil || !errors.As(err, &de) || de.Type != duckdb.ErrorTypeTransaction || wait > 2*time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
