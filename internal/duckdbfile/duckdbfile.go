// Package duckdbfile opens an aiusage DuckDB file the one way the collector's exporter
// and the CLI both need: bounded settings, nothing downloaded at run time, a probe that
// the file is usable now rather than at the first write, and one error text for each
// way it is not, naming the path and, when another process holds the file, that
// process.
package duckdbfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Options are how a file is opened. The zero value opens an existing file for reading
// and writing with DuckDB's default limits.
type Options struct {
	// ReadOnly opens the file for reading only. DuckDB still locks it, so no other
	// process can write it meanwhile.
	ReadOnly bool
	// Create allows a missing file to be created (not with ReadOnly); its directory must
	// exist.
	Create bool
	// MemoryLimit is DuckDB's memory_limit in DuckDB's notation ("512MB"); empty leaves
	// DuckDB's default of 80% of the machine's memory.
	MemoryLimit string
	// Threads caps DuckDB's worker threads; 0 leaves one per core.
	Threads int
	// CheckpointThreshold is the write-ahead log size that triggers a checkpoint
	// ("64MB"); empty leaves DuckDB's default.
	CheckpointThreshold string
}

// What can be wrong with a file; [Error] matches them with errors.Is.
var (
	ErrNotExist    = errors.New("does not exist")
	ErrNoDirectory = errors.New("its directory does not exist")
	ErrIsDirectory = errors.New("is a directory, not a DuckDB file")
	ErrLocked      = errors.New("locked by another process")
	ErrNotDuckDB   = errors.New("not a DuckDB database file")
	ErrNotWritable = errors.New("the file or its directory is not writable by this process")
)

// Error is why a file could not be opened.
type Error struct {
	Path string
	// Kind is one of the Err values above, or nil when DuckDB failed for another reason.
	Kind error
	// PID and Holder name the process holding the file when Kind is ErrLocked, as far
	// as DuckDB reports them (0 and "" when it does not).
	PID    int
	Holder string
	// Err is the underlying error from the file system or DuckDB.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "open duckdb %q", e.Path)
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	if e.Kind == ErrLocked {
		switch {
		case e.PID != 0 && e.Holder != "":
			fmt.Fprintf(&b, " (PID %d, %s)", e.PID, e.Holder)
		case e.PID != 0:
			fmt.Fprintf(&b, " (PID %d)", e.PID)
		}
		b.WriteString("; DuckDB lets one process hold a file, readers included")
	}
	switch e.Kind {
	case ErrLocked, ErrNotExist, ErrIsDirectory, ErrNotDuckDB: // the cause only restates these
		return b.String()
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is the kind of e.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Open opens the DuckDB file at path with o, with extension autoloading and
// autoinstalling off (the extensions aiusage uses are built in), and checks that the
// file can be used: read, and written unless o.ReadOnly. Errors are *[Error].
func Open(ctx context.Context, path string, o Options) (*sql.DB, error) {
	if err := checkPath(path, o); err != nil {
		return nil, err
	}
	connector, err := duckdb.NewConnector(path+"?"+dsnOptions(o).Encode(), nil)
	if err != nil {
		return nil, explain(path, err)
	}
	db := sql.OpenDB(connector)
	probe := "SELECT 1"
	if !o.ReadOnly {
		// A file can open and still not take writes (a read-only directory refuses the
		// write-ahead log): find out now, not at the first write.
		probe = "CREATE TABLE IF NOT EXISTS aiusage_write_probe (x INTEGER); DROP TABLE aiusage_write_probe"
	}
	if _, err := db.ExecContext(ctx, probe); err != nil {
		db.Close()
		return nil, explain(path, err)
	}
	return db, nil
}

// checkPath rules out what can be told from the file system before DuckDB tries.
func checkPath(path string, o Options) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return &Error{Path: path, Kind: ErrIsDirectory}
	case err == nil:
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return &Error{Path: path, Err: err}
	case o.ReadOnly || !o.Create:
		return &Error{Path: path, Kind: ErrNotExist, Err: err}
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil {
		return &Error{Path: path, Kind: ErrNoDirectory, Err: err}
	} else if !st.IsDir() {
		return &Error{Path: path, Kind: ErrNoDirectory, Err: fmt.Errorf("%s is not a directory", dir)}
	}
	return nil
}

func dsnOptions(o Options) url.Values {
	q := url.Values{}
	q.Set("autoinstall_known_extensions", "false")
	q.Set("autoload_known_extensions", "false")
	if o.ReadOnly {
		q.Set("access_mode", "read_only")
	}
	if s := strings.TrimSpace(o.MemoryLimit); s != "" {
		q.Set("memory_limit", s)
	}
	if o.Threads > 0 {
		q.Set("threads", strconv.Itoa(o.Threads))
	}
	if s := strings.TrimSpace(o.CheckpointThreshold); s != "" {
		q.Set("checkpoint_threshold", s)
	}
	return q
}

// lockHolder reads the holder out of DuckDB's lock error, e.g. `Could not set lock on
// file "x.duckdb": Conflicting lock is held in /usr/bin/otelcol-aiusage (PID 4242) by
// user aiusage.`
var lockHolder = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

// explain classifies a DuckDB error from opening or probing path.
func explain(path string, err error) error {
	msg := err.Error()
	e := &Error{Path: path, Err: err}
	switch {
	case strings.Contains(msg, "Could not set lock"), strings.Contains(msg, "Conflicting lock"):
		e.Kind = ErrLocked
		if m := lockHolder.FindStringSubmatch(msg); m != nil {
			e.Holder = m[1]
			e.PID, _ = strconv.Atoi(m[2])
		}
	case strings.Contains(msg, "not a valid DuckDB database file"):
		e.Kind = ErrNotDuckDB
	case strings.Contains(msg, "Permission denied"), strings.Contains(msg, "Read-only file system"),
		strings.Contains(msg, "read-only mode"):
		e.Kind = ErrNotWritable
	}
	return e
}

// OpenMemory opens a database in memory with o's limits (ReadOnly and Create do not
// apply) and extension autoloading and autoinstalling off, as Open does for a file.
func OpenMemory(ctx context.Context, o Options) (*sql.DB, error) {
	connector, err := duckdb.NewConnector("?"+dsnOptions(Options{MemoryLimit: o.MemoryLimit, Threads: o.Threads}).Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb in memory: %w", err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb in memory: %w", err)
	}
	return db, nil
}
