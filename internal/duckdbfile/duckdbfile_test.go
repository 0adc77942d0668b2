package duckdbfile

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// holdEnv makes the test binary a process that holds the DuckDB file it names, as a
// collector does, until its standard input closes.
const holdEnv = "AIUSAGE_DUCKDBFILE_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		db, err := Open(context.Background(), path, Options{Create: true})
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
		db.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hold starts a process that holds path and returns its PID.
func hold(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait() //nolint:errcheck
	})
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		t.Fatalf("holder did not open %s: %q %s", path, line, stderr.String())
	}
	return cmd.Process.Pid
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
	tests := []struct {
		name string
		path string
		o    Options
		kind error
		want []string // in the error text
	}{
		{"missing file, read-only", filepath.Join(dir, "none.duckdb"), Options{ReadOnly: true}, ErrNotExist,
			[]string{"none.duckdb", "does not exist"}},
		{"missing file, not to be created", filepath.Join(dir, "none.duckdb"), Options{}, ErrNotExist,
			[]string{"none.duckdb"}},
		{"missing directory", filepath.Join(dir, "nope", "usage.duckdb"), Options{Create: true}, ErrNoDirectory,
			[]string{"nope/usage.duckdb", "directory does not exist"}},
		{"a directory", readOnlyDir, Options{Create: true}, ErrIsDirectory, []string{readOnlyDir, "is a directory"}},
		{"a directory, read-only", readOnlyDir, Options{ReadOnly: true}, ErrIsDirectory, []string{readOnlyDir}},
		{"not a DuckDB file", notDuckDB, Options{}, ErrNotDuckDB, []string{notDuckDB, "not a DuckDB database file"}},
		{"not a DuckDB file, read-only", notDuckDB, Options{ReadOnly: true}, ErrNotDuckDB, []string{notDuckDB}},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			path string
			o    Options
			kind error
			want []string
		}{"unwritable directory", filepath.Join(readOnlyDir, "usage.duckdb"), Options{Create: true}, ErrNotWritable,
			[]string{"ro/usage.duckdb", "not writable"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(ctx, tt.path, tt.o)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			t.Log(err)
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %q", err, tt.kind)
			}
			var fe *Error
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
	pid := hold(t, path)
	for _, o := range []Options{{}, {ReadOnly: true}, {Create: true}} {
		db, err := Open(context.Background(), path, o)
		if err == nil {
			db.Close()
			t.Fatalf("%+v: opened a file another process holds", o)
		}
		t.Log(err)
		var fe *Error
		if !errors.Is(err, ErrLocked) || !errors.As(err, &fe) {
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
	db, err := Open(ctx, path, Options{Create: true, MemoryLimit: "256MB", Threads: 1, CheckpointThreshold: "32MB"})
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
	db, err = Open(ctx, path, Options{ReadOnly: true})
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

// TestExplain classifies DuckDB's own error texts, including those this machine cannot
// produce for a test running as root (a directory it may not write).
func TestExplain(t *testing.T) {
	tests := []struct {
		msg    string
		kind   error
		pid    int
		holder string
	}{
		{`IO Error: Could not set lock on file "/d/u.duckdb": Conflicting lock is held in /usr/local/bin/otelcol-aiusage (PID 4242) by user aiusage. See also https://duckdb.org/docs/stable/connect/concurrency`,
			ErrLocked, 4242, "/usr/local/bin/otelcol-aiusage"},
		{`IO Error: Could not set lock on file "/d/u.duckdb": Resource temporarily unavailable`, ErrLocked, 0, ""},
		{`IO Error: Cannot open file "/ro/u.duckdb.wal": Permission denied`, ErrNotWritable, 0, ""},
		{`IO Error: Cannot open file "/ro/u.duckdb": Read-only file system`, ErrNotWritable, 0, ""},
		{`IO Error: The file "/d/notes.txt" exists, but it is not a valid DuckDB database file!`, ErrNotDuckDB, 0, ""},
		{`Out of Memory Error: could not allocate block`, nil, 0, ""},
	}
	for _, tt := range tests {
		err := explain("/d/u.duckdb", errors.New(tt.msg))
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != tt.kind || fe.PID != tt.pid || fe.Holder != tt.holder {
			t.Errorf("%s:\n got %#v\n want kind %v, PID %d, holder %q", tt.msg, err, tt.kind, tt.pid, tt.holder)
		}
		if !strings.HasPrefix(err.Error(), `open duckdb "/d/u.duckdb"`) {
			t.Errorf("%q does not name the path first", err)
		}
	}
}
