package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/aiusage/aiusage/internal/duckdbfile"
	"github.com/aiusage/aiusage/internal/lake"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// source is where reports run: a DuckDB file or a collector's report endpoint.
type source interface {
	run(ctx context.Context, r *queries.Report, args map[string]string) (*queries.Result, error)
	close() error
}

// fileSource runs reports on a DuckDB file this process opened.
type fileSource struct{ db *sql.DB }

func (s fileSource) run(ctx context.Context, r *queries.Report, args map[string]string) (*queries.Result, error) {
	return r.Run(ctx, s.db, args)
}

func (s fileSource) close() error { return s.db.Close() }

// serverSource runs reports on the exporter's report endpoint.
type serverSource struct{ c *queries.Client }

func (s serverSource) run(ctx context.Context, r *queries.Report, args map[string]string) (*queries.Result, error) {
	if !r.ReadOnly() {
		return nil, fmt.Errorf("report %s changes the database, which the report endpoint does not allow: run it with --db on a file no process holds", r.Name)
	}
	return s.c.Run(ctx, r.Name, args)
}

func (s serverSource) close() error { return nil }

// lakeSource runs reports over the views of a Parquet lake.
type lakeSource struct{ l *lake.Lake }

func (s lakeSource) run(ctx context.Context, r *queries.Report, args map[string]string) (*queries.Result, error) {
	if !r.ReadOnly() {
		return nil, fmt.Errorf("report %s changes the database; the lake is read, never written, by reports: run it with --db on a file no process holds", r.Name)
	}
	return r.Run(ctx, s.l.DB, args)
}

func (s lakeSource) close() error { return s.l.Close() }

// openDB opens a DuckDB file for the CLI and checks it holds the aiusage schema. Reports
// open it read-only; writing (retention, roll-up, loading prices) needs readOnly=false.
func openDB(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	db, err := duckdbfile.Open(ctx, path, duckdbfile.Options{ReadOnly: readOnly})
	if errors.Is(err, duckdbfile.ErrLocked) {
		return nil, fmt.Errorf("%w; most likely the collector's duckdb exporter, which holds its file while it runs: "+
			"read the reports through the exporter's report endpoint with --server URL (its reports.endpoint), or stop the collector first", err)
	}
	if err != nil {
		return nil, err
	}
	v, err := schema.Version(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	if v == 0 {
		db.Close()
		return nil, fmt.Errorf("%q holds no aiusage schema: is it the file the collector's duckdb exporter writes?", path)
	}
	return db, nil
}
