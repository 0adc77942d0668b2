package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

// inTransaction runs fn in one transaction on the writer connection, so that everything
// a batch writes (rows, quota snapshots, the roll-up) lands together or not at all.
// Errors DuckDB will repeat for the same data are permanent; the rest are retried.
// ended, if not nil, runs when the transaction has ended, committed or not, before the
// next batch may start: a failed COMMIT may still have committed.
func (e *duckdbExporter) inTransaction(ctx context.Context, fn func(*sql.Conn) error, ended func()) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if ended != nil {
		defer ended()
	}
	conn := e.writer
	if conn == nil {
		return errNotStarted
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return classify(fmt.Errorf("duckdb %q: begin: %w", e.cfg.Path, err))
	}
	if err := fn(conn); err != nil {
		// A failed statement has already aborted DuckDB's transaction; ROLLBACK ends it.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return classify(fmt.Errorf("duckdb %q: %w", e.cfg.Path, err))
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return classify(fmt.Errorf("duckdb %q: commit: %w", e.cfg.Path, err))
	}
	if afterCommit != nil {
		afterCommit()
	}
	return nil
}

// afterCommit, set only by the crash test, runs between a batch's commit and the
// sending queue learning of it: a crash there makes the queue deliver the batch again.
var afterCommit func()

var errNotStarted = errors.New("duckdb exporter is not started")

// classify marks errors caused by the data itself as permanent: retrying the same batch
// cannot fix a constraint or conversion failure. I/O, memory, interruptions and
// transaction conflicts are transient.
func classify(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeConstraint, duckdb.ErrorTypeConversion, duckdb.ErrorTypeMismatchType,
			duckdb.ErrorTypeOutOfRange, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeInvalidType:
			return consumererror.NewPermanent(err)
		}
	}
	return err
}

// splitStatements splits an embedded SQL file into its statements (one per `;` line end),
// leaving out comment-only pieces.
func splitStatements(file string) []string {
	var out []string
	for _, part := range strings.Split(file, ";\n") {
		code := false
		for _, line := range strings.Split(part, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
				code = true
				break
			}
		}
		if code {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}
