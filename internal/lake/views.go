package lake

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aiusage/aiusage/internal/duckdbfile"
	"github.com/aiusage/aiusage/internal/schema"
)

// zeroDay asks for the manifest of every day.
var zeroDay time.Time

// templateSchema holds empty tables made by the schema migrations: the columns and
// types every view has, even where no file has them yet.
const templateSchema = "lake_template"

// Options bound the DuckDB database the views run in.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit ("512MB"); empty: DuckDB's default.
	MemoryLimit string
	// Threads caps DuckDB's threads; 0: one per core.
	Threads int
}

// Lake is the lake under a root directory opened for reading: a DuckDB database in
// memory with, for every table, a view of the same name over the files the manifest
// lists, deduplicated, so that the report files run over it unchanged.
type Lake struct {
	// Root is the lake directory.
	Root string
	// DB is the database the views are in.
	DB *sql.DB

	mu    sync.Mutex
	files []string // the manifest files the views were made from
	live  []Entry
}

// Open opens the lake under root for reading. The views hold the files the manifest
// lists at this moment; Refresh takes in newer ones.
func Open(ctx context.Context, root string, o Options) (*Lake, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open lake: %s is not a directory", root)
	}
	db, err := duckdbfile.OpenMemory(ctx, duckdbfile.Options{MemoryLimit: o.MemoryLimit, Threads: o.Threads})
	if err != nil {
		return nil, err
	}
	l := &Lake{Root: root, DB: db}
	if err := l.createTemplate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := l.Refresh(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// Close closes the database.
func (l *Lake) Close() error { return l.DB.Close() }

// Live returns the manifest entries the views read.
func (l *Lake) Live() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.live)
}

// createTemplate runs the schema migrations in the template schema.
func (l *Lake) createTemplate(ctx context.Context) error {
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open lake: %w", err)
	}
	defer conn.Close()
	ms, err := schema.Migrations()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE SCHEMA `+templateSchema+`; USE `+templateSchema); err != nil {
		return fmt.Errorf("open lake: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `USE memory.main`) //nolint:errcheck // the connection goes back to the pool in main
	for _, m := range ms {
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("open lake: schema migration %s: %w", m.Name, err)
		}
	}
	return copyMacros(ctx, conn)
}

// copyMacros defines the schema's macros (ai_usage_priced and the rules it uses) in
// main too, where the report files call them: their tables are then main's views.
func copyMacros(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT function_name, function_type = 'table_macro', parameters, macro_definition
FROM duckdb_functions() WHERE schema_name = ? AND function_type IN ('macro', 'table_macro')`, templateSchema)
	if err != nil {
		return fmt.Errorf("open lake: list the schema's macros: %w", err)
	}
	var stmts []string
	for rows.Next() {
		var name, def string
		var table bool
		var params []any
		if err := rows.Scan(&name, &table, &params, &def); err != nil {
			rows.Close()
			return fmt.Errorf("open lake: list the schema's macros: %w", err)
		}
		names := make([]string, len(params))
		for i, p := range params {
			names[i] = fmt.Sprint(p)
		}
		as := "AS "
		if table {
			as = "AS TABLE "
		}
		stmts = append(stmts, `CREATE OR REPLACE MACRO memory.main.`+Ident(name)+`(`+strings.Join(names, ", ")+`) `+as+def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("open lake: list the schema's macros: %w", err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("open lake: copy a schema macro: %w\n%s", err, s)
		}
	}
	return nil
}

// Refresh makes the views read the files the manifest lists now; it does nothing when
// the manifest has not changed.
func (l *Lake) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	files, err := manifestFiles(l.Root, zeroDay)
	if err != nil {
		return err
	}
	if slices.Equal(files, l.files) && l.files != nil {
		return nil
	}
	entries, err := ReadManifest(ctx, l.DB, l.Root, zeroDay)
	if err != nil {
		return err
	}
	live := Live(entries)
	byTable := map[string][]Entry{}
	for _, e := range live {
		byTable[e.Table] = append(byTable[e.Table], e)
	}
	var stmts []string
	for _, t := range Tables {
		cols, err := l.templateColumns(ctx, t.Name)
		if err != nil {
			return err
		}
		stmts = append(stmts, `CREATE OR REPLACE VIEW main.`+Ident(t.Name)+` AS `+viewSQL(l.Root, t, cols, byTable[t.Name]))
	}
	stmts = append(stmts, `CREATE OR REPLACE VIEW main.ai_archive_file AS `+manifestView(live))
	tx, err := l.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lake views: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("lake views: %w\n%s", err, s)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("lake views: %w", err)
	}
	if files == nil {
		files = []string{}
	}
	l.files, l.live = files, live
	return nil
}

// column is a column of a template table.
type column struct{ name, typ string }

func (l *Lake) templateColumns(ctx context.Context, table string) ([]column, error) {
	rows, err := l.DB.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position`, templateSchema, table)
	if err != nil {
		return nil, fmt.Errorf("lake views: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lake views: the schema has no table %s", table)
	}
	return out, nil
}

// viewSQL is the SELECT of table t's view over files: the template's columns (and any
// newer ones the files have) with each key's row kept as t.Keep says.
func viewSQL(root string, t Table, cols []column, files []Entry) string {
	template := templateSchema + "." + Ident(t.Name)
	if len(files) == 0 {
		return `SELECT * FROM ` + template
	}
	if t.Keep == KeepNewestFile {
		newest := slices.MaxFunc(files, func(a, b Entry) int { return a.WrittenAt.Compare(b.WrittenAt) })
		return `SELECT * FROM ` + template + ` UNION ALL BY NAME SELECT * FROM read_parquet(` +
			FilesList(root, []string{newest.File}) + `)`
	}
	rows := `SELECT * FROM ` + template + ` UNION ALL BY NAME ` + filesSQL(root, t, files)
	if !t.HasDay {
		rows = `SELECT * EXCLUDE (day) FROM (` + rows + `)`
	}
	return combineSQL(t, cols, rows)
}

// writtenAt is the column filesSQL adds for a KeepNewest table: when the row's file was
// written.
const writtenAt = "lake_written_at"

// filesSQL is the SELECT of every row of table t in files, with its partition's day
// and, for a KeepNewest table, writtenAt.
func filesSQL(root string, t Table, files []Entry) string {
	rels := make([]string, len(files))
	for i, f := range files {
		rels[i] = f.File
	}
	scan := `read_parquet(` + FilesList(root, rels) + `, hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true`
	if t.Keep != KeepNewest {
		return `SELECT * FROM ` + scan + `)`
	}
	var written []string
	for _, f := range files {
		written = append(written, "("+Quote(FilePath(root, f.File))+", "+timeLiteral(f.WrittenAt)+")")
	}
	return `SELECT f.* EXCLUDE (filename), w.` + writtenAt + ` FROM ` + scan + `, filename = true) AS f
JOIN (VALUES ` + strings.Join(written, ", ") + `) AS w(filename, ` + writtenAt + `) USING (filename)`
}

// combineSQL is the SELECT of rows (a relation of table t's rows, several of a key)
// with one row per key, kept as t.Keep says; cols are t's columns, which a KeepSum
// table adds up.
func combineSQL(t Table, cols []column, rows string) string {
	key := identList(t.Key)
	if t.HasDay && !slices.Contains(t.Key, "day") {
		// Copies of a row share its day: partitioning by it too lets a filter on the day
		// reach the files.
		key = "day, " + key
	}
	switch t.Keep {
	case KeepSum:
		var sel []string
		for _, c := range cols {
			switch {
			case slices.Contains(t.Key, c.name):
				sel = append(sel, Ident(c.name))
			case strings.HasPrefix(c.typ, "TIMESTAMP") || c.typ == "DATE":
				sel = append(sel, "max("+Ident(c.name)+")::"+c.typ+" AS "+Ident(c.name))
			case c.typ == "VARCHAR" || c.typ == "BOOLEAN" || c.typ == "JSON":
				sel = append(sel, "any_value("+Ident(c.name)+") AS "+Ident(c.name))
			default:
				sel = append(sel, "sum("+Ident(c.name)+")::"+c.typ+" AS "+Ident(c.name))
			}
		}
		return `SELECT ` + strings.Join(sel, ", ") + ` FROM (` + rows + `) GROUP BY ` + identList(t.Key)
	case KeepNewest:
		return `SELECT * EXCLUDE (` + writtenAt + `) FROM (` + rows + `)
QUALIFY row_number() OVER (PARTITION BY ` + key + ` ORDER BY ` + writtenAt + ` DESC NULLS LAST) = 1`
	}
	return `SELECT * FROM (` + rows + `) QUALIFY row_number() OVER (PARTITION BY ` + key + `) = 1`
}

// manifestView is the SELECT of the live manifest entries, shaped as the collectors'
// ai_archive_file table.
func manifestView(live []Entry) string {
	const cols = `table_name, day, file, row_count, bytes, checksum, max_time, collector_id, run_id, written_at`
	if len(live) == 0 {
		return `SELECT ` + cols + ` FROM ` + templateSchema + `.ai_archive_file`
	}
	var rows []string
	for _, e := range live {
		maxTime := "NULL::TIMESTAMPTZ"
		if !e.MaxTime.IsZero() {
			maxTime = timeLiteral(e.MaxTime)
		}
		rows = append(rows, fmt.Sprintf("(%s, %s::DATE, %s, %d, %d, %s, %s, %s, %s, %s)", Quote(e.Table),
			Quote(e.Day.Format("2006-01-02")), Quote(e.File), e.Rows, e.Bytes, Quote(e.Checksum), maxTime,
			Quote(e.Writer), Quote(e.Run), timeLiteral(e.WrittenAt)))
	}
	return `SELECT * FROM (VALUES ` + strings.Join(rows, ",\n") + `) AS m(` + cols + `)`
}

func identList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Ident(n)
	}
	return strings.Join(out, ", ")
}
