package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aiusage/aiusage/queries"
)

// The daily roll-up has one rule: the statement of queries/rollup.sql that adds the rows
// of rollup_rows to ai_usage_daily. The file runs it over the days it rebuilds; the
// exporter runs the same statement in every batch's transaction over the rows the batch
// appended (sql/rollup_rows.sql), so ai_usage_daily counts exactly the rows that landed.

// noRowBefore is what lastRowBefore returns when the range held no row.
const noRowBefore = int64(-1)

// lastRowBefore returns the rowid of the last row stored with a start time in [from, to]
// before the batch appends its own, or noRowBefore (sql/last_row.sql).
func (e *duckdbExporter) lastRowBefore(ctx context.Context, conn *sql.Conn, from, to time.Time) (int64, error) {
	var rowid int64
	if err := conn.QueryRowContext(ctx, e.sql.lastRow, from, to).Scan(&rowid); err != nil {
		return 0, fmt.Errorf("find the rows stored in the batch's time range: %w", err)
	}
	return rowid, nil
}

// rollUp adds to the daily roll-up, in the writer's transaction, the rows appended with
// start times in [from, to] after row before.
func (e *duckdbExporter) rollUp(ctx context.Context, from, to time.Time, before int64) error {
	if _, err := e.rollup.ExecContext(ctx, from, to, before); err != nil {
		return fmt.Errorf("update daily roll-up %s: %w", e.cfg.Tables.Daily, err)
	}
	return nil
}

// rollupRule is the roll-up statement of queries/rollup.sql with the tables named t.
func rollupRule(t TablesConfig) (string, error) {
	r, err := queries.Lookup("rollup")
	if err != nil {
		return "", err
	}
	for _, stmt := range splitStatements(r.SQL) {
		code := withoutLeadingComments(stmt)
		if strings.HasPrefix(code, "INSERT INTO ai_usage_daily") && strings.Contains(code, "FROM rollup_rows") {
			return t.rename(code), nil
		}
	}
	return "", errors.New("queries/rollup.sql has no statement INSERT INTO ai_usage_daily ... FROM rollup_rows: the roll-up rule the exporter runs for every batch")
}

// withoutLeadingComments drops the comment lines a statement opens with.
func withoutLeadingComments(stmt string) string {
	for strings.HasPrefix(stmt, "--") {
		_, rest, _ := strings.Cut(stmt, "\n")
		stmt = strings.TrimSpace(rest)
	}
	return stmt
}
