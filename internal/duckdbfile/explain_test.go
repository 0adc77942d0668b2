package duckdbfile

import (
	"errors"
	"strings"
	"testing"
)

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
