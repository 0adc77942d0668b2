package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/aiusage/aiusage/internal/lake"
)

// The archive writes every sealed UTC day of the tables to the lake (package lake) and
// keeps writing what arrives for it later. Its state is in the DuckDB file, migration
// 0006: ai_archive_file records each file, ai_archive_day marks each table's day as it
// was when archived. A run archives one day, in one transaction:
//
//  1. in the transaction's snapshot, the rows of the day the lake does not hold yet (an
//     anti-join against the day's files that the lake's manifest lists, whoever wrote
//     them) go to Parquet files under the collector's staging directory;
//  2. each file is read back (rows, newest time), checksummed and renamed into its day's
//     directory, durably;
//  3. the run's manifest file, listing them, is written and renamed into place: from
//     here on readers use the files;
//  4. the files are recorded and the day marked with what the tables hold in the
//     snapshot; COMMIT.
//
// A crash before 3 leaves files no manifest lists, which the restarted collector
// deletes, and the day unmarked, so it is archived again; a crash between 3 and 4
// leaves a manifest the collector did not record, which it adopts, and marks that
// make it check the day again. Either way no row is lost and, the anti-join excluding
// what the lake holds, none is archived twice. Rows that arrive for an archived day
// change what the table holds, so the next run writes them as an extra file of the day.

// archiver is the archive of one exporter.
type archiver struct {
	e       *duckdbExporter
	root    string // the lake directory, absolute
	id      string // this collector's id in the lake
	staging string // root/_staging/<id>
	grace   time.Duration
	rollup  string // the roll-up rule's SELECT over rollup_rows
	// firstPass is closed once the loop's recovery and first pass at start are done
	// (or failed): what ran at start is then known.
	firstPass chan struct{}
}

func newArchiver(e *duckdbExporter) (*archiver, error) {
	cfg := e.cfg.Archive
	root, err := filepath.Abs(cfg.Directory)
	if err != nil {
		return nil, fmt.Errorf("archive.directory: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("archive.directory: %w", err)
	}
	rule, err := rollupRule(e.cfg.Tables)
	if err != nil {
		return nil, err
	}
	sel, err := rollupSelect(rule)
	if err != nil {
		return nil, err
	}
	id := cfg.collectorID(e.path)
	return &archiver{e: e, root: root, id: id, staging: filepath.Join(root, lake.StagingDir, id),
		grace: cfg.GracePeriod, rollup: sel, firstPass: make(chan struct{})}, nil
}

// loop recovers from an interrupted run, then archives at start and every interval
// until ctx ends.
func (a *archiver) loop(ctx context.Context) {
	t := time.NewTicker(a.e.cfg.Archive.Interval)
	defer t.Stop()
	recovered, first := false, true
	for {
		if !recovered {
			if err := a.recover(ctx); err != nil {
				if ctx.Err() == nil {
					a.e.logger.Warn("duckdb archive: recovery failed; retrying at the next interval", zap.Error(err))
				}
			} else {
				recovered = true
			}
		}
		if recovered {
			if err := a.pass(ctx); err != nil && ctx.Err() == nil {
				a.e.logger.Warn("duckdb archive failed; retrying at the next interval", zap.Error(err))
				// A run can fail after its manifest was written: recovery adopts it.
				recovered = false
			}
		}
		if first {
			close(a.firstPass)
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pending is a day with tables holding rows the lake does not.
type pending struct {
	day    time.Time
	tables []string
}

// pass archives every sealed day with rows the lake does not hold, oldest first, then
// the price table if it changed.
func (a *archiver) pass(ctx context.Context) error {
	a.e.maintMu.Lock()
	defer a.e.maintMu.Unlock()
	now := a.e.now()
	days, err := a.pending(ctx, utcDay(now.Add(-a.grace)))
	if err != nil {
		return err
	}
	for _, p := range days {
		if err := a.archiveDay(ctx, p); err != nil {
			return fmt.Errorf("archive %s: %w", p.day.Format(time.DateOnly), err)
		}
	}
	return a.archivePrices(ctx, utcDay(now))
}

// pending lists the days before sealed that hold rows the lake does not.
func (a *archiver) pending(ctx context.Context, sealed time.Time) ([]pending, error) {
	conn, err := a.e.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, a.e.sql.archiveLive); err != nil {
		return nil, fmt.Errorf("archive: define ai_archive_live: %w", err)
	}
	rows, err := conn.QueryContext(ctx, a.e.sql.archivePending, sealed.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("archive: find the days to archive: %w", err)
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var (
			table string
			day   time.Time
		)
		if err := rows.Scan(&table, &day); err != nil {
			return nil, fmt.Errorf("archive: find the days to archive: %w", err)
		}
		if n := len(out); n > 0 && out[n-1].day.Equal(day) {
			out[n-1].tables = append(out[n-1].tables, table)
			continue
		}
		out = append(out, pending{day: day.UTC(), tables: []string{table}})
	}
	return out, rows.Err()
}

// archiveDay writes the rows of p's tables of p.day that the lake does not hold, in one
// transaction that records the files and marks the tables' day.
func (a *archiver) archiveDay(ctx context.Context, p pending) error {
	return a.inRun(ctx, func(conn *sql.Conn, run *archiveRun) error {
		lakeFiles, err := a.lakeFiles(ctx, conn, p.day)
		if err != nil {
			return err
		}
		var usage []lake.Staged
		for _, t := range lake.Tables {
			if !t.Daily() || t.Name == lake.Daily || !slices.Contains(p.tables, t.Name) {
				continue
			}
			q, err := a.newRows(ctx, conn, t, p.day, lakeFiles[t.Name])
			if err != nil {
				return err
			}
			staged, err := run.copyOut(ctx, conn, t, p.day, q)
			if err != nil {
				return err
			}
			if t.Name == lake.UsageLog {
				usage = staged
			}
		}
		if q, ok, err := a.dailyRows(ctx, conn, p, usage); err != nil {
			return err
		} else if ok {
			if _, err := run.copyOut(ctx, conn, mustTable(lake.Daily), p.day, q); err != nil {
				return err
			}
		}
		if err := run.finish(ctx, conn); err != nil {
			return err
		}
		for _, table := range p.tables {
			if _, err := conn.ExecContext(ctx, a.e.sql.archiveMark, table, p.day.Format(time.DateOnly), run.at.Format(time.RFC3339Nano)); err != nil {
				return fmt.Errorf("mark %s of %s archived: %w", table, p.day.Format(time.DateOnly), err)
			}
		}
		return nil
	})
}

// newRows is the SELECT of the rows of table t of day that none of the lake's files
// hold (an anti-join on the table's key; on every column for a table whose rows change
// in place), with the day column the partition needs.
func (a *archiver) newRows(ctx context.Context, conn *sql.Conn, t lake.Table, day time.Time, files []string) (string, error) {
	d := day.Format(time.DateOnly)
	q := `SELECT t.* FROM ` + lake.Ident(t.Name) + ` AS t WHERE day = DATE ` + lake.Quote(d)
	if !t.HasDay {
		q = `SELECT t.*, DATE ` + lake.Quote(d) + ` AS day FROM ` + lake.Ident(t.Name) + ` AS t WHERE ` +
			lake.Ident(t.Time) + ` >= ` + lake.Quote(d+" 00:00:00+00") + `::TIMESTAMPTZ AND ` +
			lake.Ident(t.Time) + ` < ` + lake.Quote(day.AddDate(0, 0, 1).Format(time.DateOnly)+" 00:00:00+00") + `::TIMESTAMPTZ`
	}
	if len(files) == 0 {
		return q, nil
	}
	key := t.Key
	if t.Keep == lake.KeepNewest {
		cols, err := describe(ctx, a.e.db, t.Name)
		if err != nil {
			return "", err
		}
		key = nil
		for _, c := range cols {
			key = append(key, c.name)
		}
	}
	match := make([]string, len(key))
	for i, k := range key {
		match[i] = "l." + lake.Ident(k) + " IS NOT DISTINCT FROM t." + lake.Ident(k)
	}
	return q + ` AND NOT EXISTS (SELECT 1 FROM read_parquet(` + lake.FilesList(a.root, files) +
		`, union_by_name = true) AS l WHERE ` + strings.Join(match, " AND ") + `)`, nil
}

// dailyRows is the SELECT of the roll-up rows a run writes: the roll-up rule over the
// calls the run archived, so the lake's roll-up counts exactly the lake's calls, typed
// as the table would hold them; or, for a day of the roll-up alone (its calls deleted
// before the archive was set up), the day's roll-up rows, once.
func (a *archiver) dailyRows(ctx context.Context, conn *sql.Conn, p pending, usage []lake.Staged) (string, bool, error) {
	if len(usage) > 0 {
		paths := make([]string, len(usage))
		for i, s := range usage {
			paths[i] = lake.Quote(s.Path)
		}
		for _, stmt := range []string{
			`CREATE OR REPLACE TEMP VIEW rollup_rows AS SELECT * FROM read_parquet([` + strings.Join(paths, ", ") +
				`], hive_partitioning = true, hive_types = {'day': DATE})`,
			`CREATE OR REPLACE TEMP TABLE archive_daily AS SELECT * FROM ` + lake.Ident(lake.Daily) + ` LIMIT 0`,
			`INSERT INTO archive_daily BY NAME ` + a.rollup,
		} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return "", false, fmt.Errorf("roll up the calls archived: %w", err)
			}
		}
		return `SELECT * FROM archive_daily`, true, nil
	}
	if !slices.Contains(p.tables, lake.Daily) {
		return "", false, nil
	}
	var calls int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+lake.Ident(lake.UsageLog)+` WHERE day = $1::DATE`,
		p.day.Format(time.DateOnly)).Scan(&calls); err != nil {
		return "", false, fmt.Errorf("count the calls of %s: %w", p.day.Format(time.DateOnly), err)
	}
	if calls > 0 { // the calls are archived and rolled up with them
		return "", false, nil
	}
	return `SELECT * FROM ` + lake.Ident(lake.Daily) + ` WHERE day = DATE ` + lake.Quote(p.day.Format(time.DateOnly)), true, nil
}

// archivePrices writes the price table when it differs from the one written last.
func (a *archiver) archivePrices(ctx context.Context, today time.Time) error {
	var (
		rows, lastRows sql.NullInt64
		hash, lastHash sql.NullString
	)
	if err := a.e.db.QueryRowContext(ctx, a.e.sql.archivePrices).Scan(&rows, &hash, &lastRows, &lastHash); err != nil {
		return fmt.Errorf("archive: fingerprint model_prices: %w", err)
	}
	if lastRows.Valid && rows == lastRows && hash == lastHash {
		return nil
	}
	return a.inRun(ctx, func(conn *sql.Conn, run *archiveRun) error {
		if _, err := run.copyOut(ctx, conn, mustTable(lake.Prices), today, `SELECT * FROM `+lake.Ident(lake.Prices)); err != nil {
			return err
		}
		if err := run.finish(ctx, conn); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, a.e.sql.archivePricesMark, today.Format(time.DateOnly), run.at.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("mark model_prices archived: %w", err)
		}
		return nil
	})
}

// lakeFiles lists the files the lake's manifest lists for day, by table.
func (a *archiver) lakeFiles(ctx context.Context, conn *sql.Conn, day time.Time) (map[string][]string, error) {
	entries, err := lake.ReadManifest(ctx, conn, a.root, day)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range lake.Live(entries) {
		out[e.Table] = append(out[e.Table], e.File)
	}
	return out, nil
}

// archiveRun is one run: the files it staged, then placed and recorded.
type archiveRun struct {
	a      *archiver
	id     string
	at     time.Time
	staged []lake.Staged
	placed []lake.Entry
}

// inRun runs fn in a run's transaction on a connection of its own, so that ingest goes
// on meanwhile; fn's reads see one snapshot of the tables.
func (a *archiver) inRun(ctx context.Context, fn func(*sql.Conn, *archiveRun) error) error {
	conn, err := a.e.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("archive: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("archive: begin: %w", err)
	}
	if _, err := conn.ExecContext(ctx, a.e.sql.archiveLive); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("archive: define ai_archive_live: %w", err)
	}
	run := &archiveRun{a: a, id: lake.NewID(), at: a.e.now().UTC()}
	if err := fn(conn, run); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		run.discard()
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("archive: commit: %w", err)
	}
	_ = os.RemoveAll(a.staging) // the directories DuckDB made, empty now
	if afterArchiveCommit != nil {
		afterArchiveCommit()
	}
	if len(run.placed) > 0 {
		var rows int64
		for _, e := range run.placed {
			rows += e.Rows
			a.e.stats.archived(ctx, e.Table, e.Rows)
		}
		a.e.logger.Info("duckdb archive wrote a run", zap.String("day", run.placed[0].Day.Format(time.DateOnly)),
			zap.Int("files", len(run.placed)), zap.Int64("rows", rows), zap.String("run", run.id))
	}
	return nil
}

// afterArchiveCommit, set only by tests, runs after a run's commit.
var afterArchiveCommit func()

func (r *archiveRun) copyOut(ctx context.Context, conn *sql.Conn, t lake.Table, day time.Time, query string) ([]lake.Staged, error) {
	staged, _, err := lake.CopyOut(ctx, conn, t, day, query, r.a.staging, r.a.id)
	r.staged = append(r.staged, staged...)
	return staged, err
}

// finish places the staged files, writes the run's manifest and records the files in
// the transaction.
func (r *archiveRun) finish(ctx context.Context, conn *sql.Conn) error {
	if len(r.staged) == 0 {
		return nil
	}
	placed, err := lake.Place(ctx, conn, r.a.root, r.staged)
	r.placed = placed
	if err != nil {
		return err
	}
	for i := range r.placed {
		r.placed[i].Writer, r.placed[i].Run, r.placed[i].WrittenAt = r.a.id, r.id, r.at
		// The manifest of a run is filed under the day it archived; a table kept whole
		// carries the run's day.
		r.placed[i].Day = r.staged[0].Day
	}
	if beforeManifest != nil {
		beforeManifest()
	}
	if _, err := lake.WriteManifest(ctx, conn, r.a.root, r.a.staging, r.placed); err != nil {
		return err
	}
	if beforeRecord != nil {
		if err := beforeRecord(); err != nil {
			return err
		}
	}
	for _, e := range r.placed {
		var maxTime any
		if !e.MaxTime.IsZero() {
			maxTime = e.MaxTime.UTC().Format(time.RFC3339Nano)
		}
		if _, err := conn.ExecContext(ctx, r.a.e.sql.archiveRecord, e.Table, e.Day.Format(time.DateOnly), e.File,
			e.Rows, e.Bytes, e.Checksum, maxTime, e.Writer, e.Run, e.WrittenAt.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("record %s: %w", e.File, err)
		}
	}
	return nil
}

// beforeManifest and beforeRecord, set only by tests, run after a run's files are in
// place and before its manifest is written, and after that before its files are
// recorded: the two moments a crash leaves the lake and the DuckDB file apart.
var (
	beforeManifest func()
	beforeRecord   func() error
)

// discard removes what a failed run left that no manifest lists: its staged files and
// the files it placed, unless its manifest got written (then the run is adopted at the
// next start).
func (r *archiveRun) discard() {
	_ = os.RemoveAll(r.a.staging)
	if len(r.placed) == 0 {
		return
	}
	if _, err := os.Stat(lake.FilePath(r.a.root, lake.ManifestPath(r.placed[0].Day, r.a.id, r.id))); err == nil {
		return
	}
	for _, e := range r.placed {
		_ = os.Remove(lake.FilePath(r.a.root, e.File))
	}
}

// recover puts the lake and the DuckDB file back in step after a crash: it clears
// this collector's staging directory, adopts the runs whose manifest was written but
// not recorded, and deletes this collector's data files that no manifest lists.
func (a *archiver) recover(ctx context.Context) error {
	a.e.maintMu.Lock()
	defer a.e.maintMu.Unlock()
	if err := os.RemoveAll(a.staging); err != nil {
		return fmt.Errorf("archive: clear %s: %w", a.staging, err)
	}
	entries, err := lake.ReadManifest(ctx, a.e.db, a.root, time.Time{})
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	runs := map[string][]lake.Entry{}
	for _, e := range entries {
		listed[e.File] = true
		for _, r := range e.Replaces {
			listed[r] = true
		}
		if e.Writer == a.id {
			runs[e.Run] = append(runs[e.Run], e)
		}
	}
	recorded := map[string]bool{}
	rows, err := a.e.db.QueryContext(ctx, `SELECT DISTINCT run_id FROM ai_archive_file WHERE collector_id = $1`, a.id)
	if err != nil {
		return fmt.Errorf("archive: read the runs recorded: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		recorded[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, run := range runs {
		if recorded[id] {
			continue
		}
		if err := a.adopt(ctx, run); err != nil {
			return err
		}
	}
	orphans, err := a.orphans(listed)
	if err != nil {
		return err
	}
	for _, f := range orphans {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("archive: remove unlisted %s: %w", f, err)
		}
		a.e.logger.Info("duckdb archive removed a file an interrupted run left unlisted", zap.String("file", f))
	}
	return nil
}

// adopt records a run whose manifest was written before a crash took its commit, and
// marks its tables' day so the next pass checks it again: the anti-join finds what the
// run did not write. The roll-up of a day without calls is marked done, as it was.
func (a *archiver) adopt(ctx context.Context, run []lake.Entry) error {
	return a.inRun(ctx, func(conn *sql.Conn, _ *archiveRun) error {
		day := run[0].Day.Format(time.DateOnly)
		for _, e := range run {
			var maxTime any
			if !e.MaxTime.IsZero() {
				maxTime = e.MaxTime.UTC().Format(time.RFC3339Nano)
			}
			if _, err := conn.ExecContext(ctx, a.e.sql.archiveRecord, e.Table, e.Day.Format(time.DateOnly), e.File,
				e.Rows, e.Bytes, e.Checksum, maxTime, e.Writer, e.Run, e.WrittenAt.UTC().Format(time.RFC3339Nano)); err != nil {
				return fmt.Errorf("adopt %s: %w", e.File, err)
			}
			switch e.Table {
			case lake.Prices:
			case lake.Daily:
				if _, err := conn.ExecContext(ctx, a.e.sql.archiveMark, e.Table, day, e.WrittenAt.UTC().Format(time.RFC3339Nano)); err != nil {
					return fmt.Errorf("adopt %s: %w", e.File, err)
				}
			default:
				if _, err := conn.ExecContext(ctx, `INSERT INTO ai_archive_day (table_name, day, live_rows, live_hash, archived_at)
VALUES ($1, $2::DATE, -1, NULL, $3::TIMESTAMPTZ)
ON CONFLICT (table_name, day) DO UPDATE SET live_rows = -1, archived_at = excluded.archived_at`,
					e.Table, day, e.WrittenAt.UTC().Format(time.RFC3339Nano)); err != nil {
					return fmt.Errorf("adopt %s: %w", e.File, err)
				}
			}
		}
		a.e.logger.Info("duckdb archive adopted a run interrupted after its manifest", zap.String("run", run[0].Run),
			zap.String("day", day), zap.Int("files", len(run)))
		return nil
	})
}

// orphans lists this collector's data files in the lake that no manifest lists.
func (a *archiver) orphans(listed map[string]bool) ([]string, error) {
	var out []string
	for _, t := range lake.Tables {
		pattern := filepath.Join(a.root, t.Name, a.id+"_*.parquet")
		if t.Daily() {
			pattern = filepath.Join(a.root, t.Name, "day=*", a.id+"_*.parquet")
		}
		files, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			rel, err := filepath.Rel(a.root, f)
			if err != nil {
				return nil, err
			}
			if !listed[filepath.ToSlash(rel)] {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func mustTable(name string) lake.Table {
	t, ok := lake.Lookup(name)
	if !ok {
		panic("lake has no table " + name)
	}
	return t
}

// rollupSelect is the SELECT of the roll-up rule (rollupRule): the roll-up rows of
// rollup_rows, without adding them to a table.
func rollupSelect(rule string) (string, error) {
	_, sel, ok := strings.Cut(rule, "BY NAME")
	if ok {
		sel, _, ok = strings.Cut(sel, "ON CONFLICT")
	}
	if !ok {
		return "", errors.New("queries/rollup.sql: the roll-up rule is not INSERT INTO ai_usage_daily ... BY NAME SELECT ... ON CONFLICT ...")
	}
	return strings.TrimSpace(sel), nil
}
