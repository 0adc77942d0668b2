package lake

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Entry is one data file as a manifest lists it.
type Entry struct {
	// Table is the table the rows come from.
	Table string
	// Day is the UTC day of the rows (the partition); for a table kept whole, the day
	// of the run that wrote it.
	Day time.Time
	// File is the file's path under the root, '/'-separated.
	File string
	// Rows is how many rows the file holds.
	Rows int64
	// Bytes is the file's size.
	Bytes int64
	// Checksum is "sha256:<hex>" of the file.
	Checksum string
	// MaxTime is the newest value of the table's time column in the file; zero when
	// it has none.
	MaxTime time.Time
	// Writer is the collector id (or CompactorID) that wrote the file.
	Writer string
	// Run names the run that wrote the file: its manifest file is
	// _manifest/day=<Day>/<Writer>_<Run>.parquet.
	Run string
	// WrittenAt is when the run wrote the manifest.
	WrittenAt time.Time
	// Replaces are the files this one replaces (compaction): readers ignore them.
	Replaces []string
	// Manifest is the manifest file the entry was read from, under the root; empty for
	// an entry not read from a manifest.
	Manifest string
}

// ManifestColumns are the columns of a manifest file, in order; the day is the
// partition. The collector's own record, the ai_archive_file table of schema
// migration 0006, has the same columns with day (and without replaces).
var ManifestColumns = []struct{ Name, Type string }{
	{"table_name", "VARCHAR"},
	{"file", "VARCHAR"},
	{"row_count", "BIGINT"},
	{"bytes", "BIGINT"},
	{"checksum", "VARCHAR"},
	{"max_time", "TIMESTAMP WITH TIME ZONE"},
	{"collector_id", "VARCHAR"},
	{"run_id", "VARCHAR"},
	{"written_at", "TIMESTAMP WITH TIME ZONE"},
	{"replaces", "VARCHAR[]"},
}

// ManifestPath is the manifest file of a run, under the root.
func ManifestPath(day time.Time, writer, run string) string {
	return path.Join(ManifestDir, DayDir(day), writer+"_"+run+".parquet")
}

// Querier runs SQL: a *sql.DB, *sql.Conn or *sql.Tx on DuckDB.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// manifestFiles lists the manifest files under root, of one day when day is not zero.
func manifestFiles(root string, day time.Time) ([]string, error) {
	dayGlob := "day=*"
	if !day.IsZero() {
		dayGlob = DayDir(day)
	}
	files, err := filepath.Glob(filepath.Join(root, ManifestDir, dayGlob, "*.parquet"))
	if err != nil {
		return nil, fmt.Errorf("list manifests in %s: %w", root, err)
	}
	slices.Sort(files)
	return files, nil
}

// ReadManifest returns every entry of the manifest files under root, of one UTC day
// when day is not zero, in file order.
func ReadManifest(ctx context.Context, q Querier, root string, day time.Time) ([]Entry, error) {
	var err error
	for range 3 { // a manifest can vanish between listing and reading: compaction replaced it
		var files []string
		if files, err = manifestFiles(root, day); err != nil || len(files) == 0 {
			return nil, err
		}
		var entries []Entry
		if entries, err = readManifestFiles(ctx, q, root, files); err == nil {
			return entries, nil
		}
	}
	return nil, err
}

func readManifestFiles(ctx context.Context, q Querier, root string, files []string) ([]Entry, error) {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = Quote(f)
	}
	rows, err := q.QueryContext(ctx, `SELECT table_name, day, file, row_count, bytes, checksum, max_time,
       collector_id, run_id, written_at, replaces, filename
FROM read_parquet([`+strings.Join(quoted, ", ")+`], hive_partitioning = true, hive_types = {'day': DATE},
                  union_by_name = true, filename = true)
ORDER BY filename, file`)
	if err != nil {
		return nil, fmt.Errorf("read the manifest of lake %s: %w", root, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			e        Entry
			maxTime  sql.NullTime
			replaces []any
			manifest string
		)
		if err := rows.Scan(&e.Table, &e.Day, &e.File, &e.Rows, &e.Bytes, &e.Checksum, &maxTime,
			&e.Writer, &e.Run, &e.WrittenAt, &replaces, &manifest); err != nil {
			return nil, fmt.Errorf("read the manifest of lake %s: %w", root, err)
		}
		e.MaxTime = maxTime.Time
		for _, r := range replaces {
			if s, ok := r.(string); ok {
				e.Replaces = append(e.Replaces, s)
			}
		}
		if rel, err := filepath.Rel(root, manifest); err == nil {
			e.Manifest = filepath.ToSlash(rel)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the manifest of lake %s: %w", root, err)
	}
	return out, nil
}

// Live returns the entries readers use: every listed file that no entry replaces.
func Live(entries []Entry) []Entry {
	replaced := map[string]bool{}
	for _, e := range entries {
		for _, r := range e.Replaces {
			replaced[r] = true
		}
	}
	var out []Entry
	for _, e := range entries {
		if !replaced[e.File] {
			out = append(out, e)
		}
	}
	return out
}

// WriteManifest writes the manifest file of a run listing entries, all of one day and
// one writer, and makes it durable: first under staging, then renamed into place, so
// a reader sees the whole manifest or none. Its data files must be in place already.
// It returns the manifest's path under the root.
func WriteManifest(ctx context.Context, q Querier, root, staging string, entries []Entry) (string, error) {
	if len(entries) == 0 {
		return "", nil
	}
	first := entries[0]
	var values []string
	for _, e := range entries {
		if !e.Day.Equal(first.Day) || e.Writer != first.Writer || e.Run != first.Run {
			return "", fmt.Errorf("manifest of run %s: entries of several days, writers or runs", first.Run)
		}
		values = append(values, "("+manifestRow(e)+")")
	}
	names := make([]string, len(ManifestColumns))
	for i, c := range ManifestColumns {
		names[i] = c.Name
	}
	rel := ManifestPath(first.Day, first.Writer, first.Run)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return "", fmt.Errorf("staging directory %s: %w", staging, err)
	}
	tmp := filepath.Join(staging, path.Base(rel))
	if _, err := q.ExecContext(ctx, `COPY (SELECT * FROM (VALUES `+strings.Join(values, ",\n")+`) AS m(`+
		strings.Join(names, ", ")+`)) TO `+Quote(tmp)+` (FORMAT parquet, COMPRESSION zstd)`); err != nil {
		return "", fmt.Errorf("write manifest %s: %w", rel, err)
	}
	if err := moveInto(tmp, root, rel); err != nil {
		return "", err
	}
	return rel, nil
}

// manifestRow is the SQL literal row of e, in ManifestColumns order.
func manifestRow(e Entry) string {
	maxTime := "NULL::TIMESTAMPTZ"
	if !e.MaxTime.IsZero() {
		maxTime = timeLiteral(e.MaxTime)
	}
	replaces := make([]string, len(e.Replaces))
	for i, r := range e.Replaces {
		replaces[i] = Quote(r)
	}
	return strings.Join([]string{
		Quote(e.Table) + "::VARCHAR", Quote(e.File) + "::VARCHAR",
		strconv.FormatInt(e.Rows, 10) + "::BIGINT", strconv.FormatInt(e.Bytes, 10) + "::BIGINT",
		Quote(e.Checksum) + "::VARCHAR", maxTime, Quote(e.Writer) + "::VARCHAR", Quote(e.Run) + "::VARCHAR",
		timeLiteral(e.WrittenAt), "[" + strings.Join(replaces, ", ") + "]::VARCHAR[]",
	}, ", ")
}

func timeLiteral(t time.Time) string {
	return Quote(t.UTC().Format("2006-01-02 15:04:05.999999")+"+00") + "::TIMESTAMPTZ"
}
