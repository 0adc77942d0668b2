package duckdbexporter

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// retentionLoop deletes raw rows past the retention period at start and then every
// retention_interval, until ctx ends.
func (e *duckdbExporter) retentionLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.RetentionInterval)
	defer t.Stop()
	for {
		if _, err := e.applyRetention(ctx, cutoffDay(time.Now(), e.cfg.Retention)); err != nil && ctx.Err() == nil {
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
	t := now.Add(-retention).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// applyRetention deletes raw rows of days before cutoff in one transaction, then
// checkpoints so the file gives the space back, and returns how many rows went. The
// daily roll-up is kept.
func (e *duckdbExporter) applyRetention(ctx context.Context, cutoff time.Time) (int64, error) {
	var deleted int64
	err := e.inTransaction(ctx, func(conn *sql.Conn) error {
		for _, stmt := range e.sql.retention {
			res, err := conn.ExecContext(ctx, stmt, cutoff.Format(time.DateOnly))
			if err != nil {
				return fmt.Errorf("retention: %w", err)
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		return nil
	}, nil)
	if err != nil || deleted == 0 {
		return deleted, err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.db == nil {
		return deleted, errNotStarted
	}
	if _, err := e.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return deleted, fmt.Errorf("retention: checkpoint duckdb %q: %w", e.cfg.Path, err)
	}
	e.logger.Info("duckdb retention deleted raw rows", zap.Int64("rows", deleted),
		zap.String("before_day", cutoff.Format(time.DateOnly)))
	return deleted, nil
}
