package duckdbexporter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.uber.org/zap"

	"github.com/aiusage/aiusage/internal/duckdbfile"
	"github.com/aiusage/aiusage/internal/schema"
)

// duckdbExporter is the state one component ID shares between its traces and metrics
// pipelines: the database handle, the writer lock and the background jobs.
type duckdbExporter struct {
	cfg     *Config
	set     exporter.Settings
	logger  *zap.Logger
	release func() // drops the exporter from the shared registry

	mu      sync.Mutex // guards starts, db, stop
	starts  int
	db      *sql.DB
	path    string // absolute path, key in openPaths
	stop    context.CancelFunc
	stopped chan struct{}

	// maintMu serialises the background jobs that change the archive's marks:
	// retention and the archive's runs. Taken before writeMu.
	maintMu sync.Mutex
	// writeMu serialises batch transactions: DuckDB has one writer per file anyway, and
	// serial batches make the duplicate check see every earlier batch.
	writeMu sync.Mutex
	// writer is the connection every batch is written on, and rollup the roll-up
	// statement prepared on it once: planning it anew costs a few ms a batch.
	writer *sql.Conn
	rollup *sql.Stmt
	// latestSpan and latestPoint bound the newest span start and point time stored
	// (guarded by writeMu; raised by every batch tried, stored or not). A duplicate has
	// the same time as its stored copy, so a batch that starts after them needs no
	// duplicate lookup: in steady state most don't.
	latestSpan, latestPoint time.Time

	stats   *stats
	archive *archiver        // nil without archive.directory
	sql     statements       // the exporter's SQL, with the configured table names
	now     func() time.Time // the clock that dates arrivals, bounds timestamps and drives retention

	budgets *budgetWatch // nil when budgets are off; evaluated apart from ingest
}

func newExporter(cfg *Config, set exporter.Settings, release func()) *duckdbExporter {
	return &duckdbExporter{cfg: cfg, set: set, logger: set.Logger, release: release, now: time.Now}
}

// openPaths keeps two exporters of one process off the same file: DuckDB would hand
// both the same instance, and their writes would no longer be serialised.
var (
	openPathsMu sync.Mutex
	openPaths   = map[string]component.ID{}
)

// start opens the database on the first call (one per pipeline signal).
func (e *duckdbExporter) start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.starts++
	if e.starts > 1 {
		return nil
	}
	if err := e.open(ctx); err != nil {
		e.starts = 0
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	e.stopped = make(chan struct{})
	var jobs sync.WaitGroup
	if e.cfg.Retention > 0 {
		jobs.Go(func() { e.retentionLoop(bg) })
	}
	if e.cfg.Archive.enabled() {
		a, err := newArchiver(e)
		if err != nil {
			cancel()
			e.closeDB()
			e.starts = 0
			return err
		}
		e.archive = a
		jobs.Go(func() { a.loop(bg) })
	}
	if e.cfg.Reports.Endpoint != "" {
		srv, err := e.serveReports()
		if err != nil {
			cancel()
			e.closeDB()
			e.starts = 0
			return err
		}
		jobs.Go(func() {
			<-bg.Done()
			srv.close()
		})
	}
	if err := e.startBudgets(bg, &jobs); err != nil {
		cancel()
		jobs.Wait()
		e.closeDB()
		e.starts = 0
		return err
	}
	go func() { jobs.Wait(); close(e.stopped) }()
	return nil
}

// shutdown closes the database after the last pipeline using it has shut down.
func (e *duckdbExporter) shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.starts == 0 { // never started, or Start failed
		e.release()
		return nil
	}
	e.starts--
	if e.starts > 0 {
		return nil
	}
	e.stop()
	<-e.stopped
	e.writeMu.Lock() // let a batch in flight finish
	defer e.writeMu.Unlock()
	err := e.closeDB()
	e.release()
	return err
}

func (e *duckdbExporter) closeDB() error {
	if e.db == nil {
		return nil
	}
	if e.rollup != nil {
		e.rollup.Close()
		e.rollup = nil
	}
	if e.writer != nil {
		e.writer.Close()
		e.writer = nil
	}
	// A final checkpoint folds the write-ahead log into the file, so the next reader
	// (the CLI, an analyst) opens it without a replay.
	_, cerr := e.db.Exec("CHECKPOINT")
	err := e.db.Close()
	e.db = nil
	openPathsMu.Lock()
	delete(openPaths, e.path)
	openPathsMu.Unlock()
	if err != nil {
		return fmt.Errorf("close duckdb %q: %w", e.cfg.Path, err)
	}
	if cerr != nil {
		return fmt.Errorf("checkpoint duckdb %q: %w", e.cfg.Path, cerr)
	}
	return nil
}

// open opens and prepares the database: settings, schema, prices.
func (e *duckdbExporter) open(ctx context.Context) error {
	abs, err := filepath.Abs(e.cfg.Path)
	if err != nil {
		return fmt.Errorf("open duckdb %q: %w", e.cfg.Path, err)
	}
	openPathsMu.Lock()
	if other, busy := openPaths[abs]; busy {
		openPathsMu.Unlock()
		return fmt.Errorf("open duckdb %q: already written by exporter %s in this collector; give each exporter its own path", e.cfg.Path, other)
	}
	openPaths[abs] = e.set.ID
	openPathsMu.Unlock()
	e.path = abs
	if e.sql, err = renderStatements(e.cfg.Tables); err != nil {
		openPathsMu.Lock()
		delete(openPaths, abs)
		openPathsMu.Unlock()
		return err
	}
	db, err := openDB(ctx, abs, e.cfg)
	if err != nil {
		openPathsMu.Lock()
		delete(openPaths, abs)
		openPathsMu.Unlock()
		return err
	}
	e.db = db
	if err := e.prepare(ctx); err != nil {
		e.closeDB()
		return err
	}
	if e.writer, err = e.db.Conn(ctx); err != nil {
		e.closeDB()
		return fmt.Errorf("duckdb %q: connect: %w", e.cfg.Path, err)
	}
	if e.rollup, err = e.writer.PrepareContext(ctx, e.sql.rollup); err != nil {
		e.closeDB()
		return fmt.Errorf("duckdb %q: prepare the roll-up of queries/rollup.sql: %w", e.cfg.Path, err)
	}
	e.stats, err = newStats(e.set.TelemetrySettings, e.logger)
	if err != nil {
		e.closeDB()
		return err
	}
	return nil
}

// openDB opens the file with the configured limits.
func openDB(ctx context.Context, path string, cfg *Config) (*sql.DB, error) {
	db, err := duckdbfile.Open(ctx, path, duckdbfile.Options{Create: true, MemoryLimit: cfg.MemoryLimit,
		Threads: cfg.Threads, CheckpointThreshold: cfg.CheckpointThreshold})
	if errors.Is(err, duckdbfile.ErrLocked) {
		return nil, fmt.Errorf("%w; stop that process or configure another path", err)
	}
	return db, err
}

// prepare brings the schema to the version this exporter writes and loads prices.
func (e *duckdbExporter) prepare(ctx context.Context) error {
	want := schema.Latest()
	if e.cfg.CreateSchema {
		v, err := schema.Migrate(ctx, e.db)
		if err != nil {
			return fmt.Errorf("migrate duckdb %q: %w", e.cfg.Path, err)
		}
		if v != want {
			return fmt.Errorf("migrate duckdb %q: at version %d, want %d", e.cfg.Path, v, want)
		}
	} else {
		v, err := schema.Version(ctx, e.db)
		if err != nil {
			return fmt.Errorf("check schema of duckdb %q: %w", e.cfg.Path, err)
		}
		if v != want {
			return fmt.Errorf("duckdb %q holds schema version %d but this exporter writes version %d; with create_schema: false the operator must migrate it (or set create_schema: true)", e.cfg.Path, v, want)
		}
	}
	if err := checkUsageColumns(ctx, e.db, e.cfg.Tables.UsageLog); err != nil {
		return fmt.Errorf("duckdb %q: %w", e.cfg.Path, err)
	}
	if err := e.loadWatermarks(ctx); err != nil {
		return err
	}
	return e.loadPrices(ctx)
}

// loadWatermarks reads the newest span and point times stored.
func (e *duckdbExporter) loadWatermarks(ctx context.Context) error {
	for _, w := range []struct {
		query string
		into  *time.Time
	}{{e.sql.latestSpan, &e.latestSpan}, {e.sql.latestPoint, &e.latestPoint}} {
		var t sql.NullTime
		if err := e.db.QueryRowContext(ctx, w.query).Scan(&t); err != nil {
			return fmt.Errorf("duckdb %q: read newest stored time: %w", e.cfg.Path, err)
		}
		*w.into = t.Time // zero when the table is empty
	}
	return nil
}

// rawConn runs fn with the DuckDB connection under c.
func rawConn(c *sql.Conn, fn func(*duckdb.Conn) error) error {
	return c.Raw(func(dc any) error {
		conn, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not a DuckDB connection", dc)
		}
		return fn(conn)
	})
}
