package lake

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Staged is a data file written under a staging directory, not yet in the lake.
type Staged struct {
	// Path is where the file is now.
	Path string
	// Table and Day say where it goes: <table>/day=<day>/<its name>, or <table>/<its
	// name> for a table kept whole.
	Table Table
	Day   time.Time
}

// CopyOut writes the rows of query (a SELECT of table t's columns; with the day column
// for a daily table, all of day) as zstd-compressed Parquet files named
// <writer>_<uuid>.parquet under staging, with DuckDB's COPY: hive-partitioned by day for
// a daily table, so each file lands in its day's directory. It returns the files and
// how many rows they hold; no rows, no file.
func CopyOut(ctx context.Context, q Querier, t Table, day time.Time, query, staging, writer string) ([]Staged, int64, error) {
	dir := filepath.Join(staging, t.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("staging directory %s: %w", dir, err)
	}
	if !t.Daily() {
		file := filepath.Join(dir, writer+"_"+NewID()+".parquet")
		var n int64
		if err := queryRow(ctx, q, `COPY (`+query+`) TO `+Quote(file)+` (FORMAT parquet, COMPRESSION zstd)`, &n); err != nil {
			return nil, 0, fmt.Errorf("write %s: %w", t.Name, err)
		}
		if n == 0 {
			return nil, 0, os.Remove(file)
		}
		return []Staged{{Path: file, Table: t, Day: day}}, n, nil
	}
	rows, err := q.QueryContext(ctx, `COPY (`+query+`) TO `+Quote(dir)+` (FORMAT parquet, COMPRESSION zstd,
    PARTITION_BY (day), FILENAME_PATTERN `+Quote(writer+"_{uuid}")+`, APPEND, RETURN_FILES)`)
	if err != nil {
		return nil, 0, fmt.Errorf("write %s of %s: %w", t.Name, day.Format(time.DateOnly), err)
	}
	defer rows.Close()
	var (
		n     int64
		files []any
		out   []Staged
	)
	for rows.Next() {
		if err := rows.Scan(&n, &files); err != nil {
			return nil, 0, fmt.Errorf("write %s: %w", t.Name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("write %s of %s: %w", t.Name, day.Format(time.DateOnly), err)
	}
	for _, f := range files {
		p, _ := f.(string)
		d, ok := ParseDayDir(filepath.Base(filepath.Dir(p)))
		if !ok || !d.Equal(day) {
			return nil, 0, fmt.Errorf("write %s of %s: DuckDB wrote %s, outside the day", t.Name, day.Format(time.DateOnly), p)
		}
		out = append(out, Staged{Path: p, Table: t, Day: day})
	}
	return out, n, nil
}

// Place moves staged files into the lake under root, each made durable under its final
// name, and returns their manifest entries (without writer, run and time): row count,
// size, checksum and newest time read from the file itself.
func Place(ctx context.Context, q Querier, root string, staged []Staged) ([]Entry, error) {
	var out []Entry
	for _, s := range staged {
		e := Entry{Table: s.Table.Name, Day: s.Day}
		rel := path.Join(s.Table.Name, filepath.Base(s.Path))
		if s.Table.Daily() {
			rel = path.Join(s.Table.Name, DayDir(s.Day), filepath.Base(s.Path))
		}
		e.File = rel
		newest := "NULL::TIMESTAMPTZ"
		if s.Table.Time != "" {
			newest = "max(" + Ident(s.Table.Time) + ")::TIMESTAMPTZ"
		}
		var maxTime sql.NullTime
		rows, err := q.QueryContext(ctx, `SELECT count(*), `+newest+` FROM read_parquet(`+Quote(s.Path)+`)`)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", s.Path, err)
		}
		for rows.Next() {
			err = rows.Scan(&e.Rows, &maxTime)
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", s.Path, err)
		}
		e.MaxTime = maxTime.Time
		st, err := os.Stat(s.Path)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", s.Path, err)
		}
		e.Bytes = st.Size()
		if e.Checksum, err = Checksum(s.Path); err != nil {
			return nil, err
		}
		if err := moveInto(s.Path, root, rel); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// queryRow runs query and scans its first row into dest.
func queryRow(ctx context.Context, q Querier, query string, dest ...any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// FilesList is the DuckDB list literal of the files at rels under root, for read_parquet.
func FilesList(root string, rels []string) string {
	quoted := make([]string, len(rels))
	for i, r := range rels {
		quoted[i] = Quote(FilePath(root, r))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// FilePath is the path of the lake file rel ('/'-separated, under root).
func FilePath(root, rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
