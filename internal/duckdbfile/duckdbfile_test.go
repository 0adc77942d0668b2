package duckdbfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/duckdbfile"
	"github.com/aiusage/aiusage/internal/duckdbfile/duckdbfiletest"
)

func TestMain(m *testing.M) {
	duckdbfiletest.Serve()
	os.Exit(m.Run())
}

func TestOpenRefusesClearly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDuckDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDuckDB, []byte(strings.Repeat("not a database\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnlyDir := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnlyDir, 0o555); err != nil {
		t.Fatal(err)
	}
	type openCase struct {
		name string
		path string
		o    duckdbfile.Options
		kind error
		want []string // in the error text
	}
	tests := []openCase{
		{"missing file, read-only", filepath.Join(dir, "none.duckdb"), duckdbfile.Options{ReadOnly: true}, duckdbfile.ErrNotExist,
			[]string{"none.duckdb", "does not exist"}},
		{"missing file, not to be created", filepath.Join(dir, "none.duckdb"), duckdbfile.Options{}, duckdbfile.ErrNotExist,
			[]string{"none.duckdb"}},
		{"missing directory", filepath.Join(dir, "nope", "usage.duckdb"), duckdbfile.Options{Create: true}, duckdbfile.ErrNoDirectory,
			[]string{"nope/usage.duckdb", "directory does not exist"}},
		{"a directory", readOnlyDir, duckdbfile.Options{Create: true}, duckdbfile.ErrIsDirectory, []string{readOnlyDir, "is a directory"}},
		{"a directory, read-only", readOnlyDir, duckdbfile.Options{ReadOnly: true}, duckdbfile.ErrIsDirectory, []string{readOnlyDir}},
		{"not a DuckDB file", notDuckDB, duckdbfile.Options{}, duckdbfile.ErrNotDuckDB, []string{notDuckDB, "not a DuckDB database file"}},
		{"not a DuckDB file, read-only", notDuckDB, duckdbfile.Options{ReadOnly: true}, duckdbfile.ErrNotDuckDB, []string{notDuckDB}},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, openCase{"unwritable directory", filepath.Join(readOnlyDir, "usage.duckdb"), duckdbfile.Options{Create: true}, duckdbfile.ErrNotWritable,
			[]string{"ro/usage.duckdb", "not writable"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := duckdbfile.Open(ctx, tt.path, tt.o)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			t.Log(err)
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %q", err, tt.kind)
			}
			var fe *duckdbfile.Error
			if !errors.As(err, &fe) || fe.Path != tt.path {
				t.Errorf("error %#v does not carry the path %s", err, tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestOpenLockedNamesTheHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "usage.duckdb")
	pid := duckdbfiletest.Hold(t, path)
	for _, o := range []duckdbfile.Options{{}, {ReadOnly: true}, {Create: true}} {
		db, err := duckdbfile.Open(context.Background(), path, o)
		if err == nil {
			db.Close()
			t.Fatalf("%+v: opened a file another process holds", o)
		}
		t.Log(err)
		var fe *duckdbfile.Error
		if !errors.Is(err, duckdbfile.ErrLocked) || !errors.As(err, &fe) {
			t.Fatalf("%+v: %v is not ErrLocked", o, err)
		}
		if fe.PID != pid || fe.Holder == "" {
			t.Errorf("%+v: holder PID %d %q, want PID %d and its executable", o, fe.PID, fe.Holder, pid)
		}
		for _, w := range []string{path, "locked by another process", "PID " + strconv.Itoa(pid)} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q does not say %q", o, err, w)
			}
		}
	}
}

func TestOpenAppliesOptions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.duckdb")
	db, err := duckdbfile.Open(ctx, path, duckdbfile.Options{Create: true, MemoryLimit: "256MB", Threads: 1, CheckpointThreshold: "32MB"})
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM duckdb_settings() WHERE name IN
		('memory_limit', 'threads', 'checkpoint_threshold', 'autoload_known_extensions', 'autoinstall_known_extensions', 'access_mode')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		settings[k] = v
	}
	rows.Close()
	for k, want := range map[string]string{"memory_limit": "244.1 MiB", "threads": "1", "checkpoint_threshold": "30.5 MiB",
		"autoload_known_extensions": "false", "autoinstall_known_extensions": "false", "access_mode": "automatic"} {
		if settings[k] != want {
			t.Errorf("%s = %q, want %q", k, settings[k], want)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Read-only: the file opens, reads, and refuses writes.
	db, err = duckdbfile.Open(ctx, path, duckdbfile.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write to a read-only file: %v", err)
	}
}
