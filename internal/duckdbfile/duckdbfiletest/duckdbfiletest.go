// Package duckdbfiletest holds a DuckDB file in another process, as a running collector
// does, for tests of what those who then open the file get.
package duckdbfiletest

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/duckdbfile"
)

// holdEnv names the file a test binary started by Hold holds.
const holdEnv = "AIUSAGE_TEST_HOLD_DUCKDB"

// Serve turns the test binary into a holder when Hold started it: call it first in
// TestMain. A holder opens the file, says so, and keeps it until its standard input
// closes; then it exits. Otherwise Serve returns at once.
func Serve() {
	path := os.Getenv(holdEnv)
	if path == "" {
		return
	}
	db, err := duckdbfile.Open(context.Background(), path, duckdbfile.Options{Create: true})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
	os.Stdout.WriteString("held\n")
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
	db.Close()
	os.Exit(0)
}

// Hold starts the test binary again as a process holding the file at path (its
// TestMain must call Serve), waits until it does, and returns its PID. The process lets
// go when the test ends.
func Hold(t testing.TB, path string) int {
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
		cmd.Wait() //nolint:errcheck // it exits when stdin closes
	})
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		t.Fatalf("the holder did not open %s: %q %s", path, line, stderr.String())
	}
	return cmd.Process.Pid
}
