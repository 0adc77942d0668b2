package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/aiusage/aiusage/exporter/duckdbexporter"
	"github.com/aiusage/aiusage/internal/lake"
)

// fixtureLake is fixtureDB archived by the duckdb exporter into a lake: the fixture's
// days are long sealed, so the exporter's archive writes them at start. It returns the
// DuckDB file (no longer held) and the lake directory.
func fixtureLake(t *testing.T) (string, string) {
	t.Helper()
	dbPath := fixtureDB(t)
	dir := filepath.Join(t.TempDir(), "lake")
	f := duckdbexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*duckdbexporter.Config)
	cfg.Path = dbPath
	cfg.MemoryLimit = "256MB"
	cfg.Archive = duckdbexporter.ArchiveConfig{Directory: dir, CollectorID: "cli-test", GracePeriod: time.Hour, Interval: time.Hour}
	ctx := context.Background()
	exp, err := f.CreateTraces(ctx, exportertest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		// The two days' runs, then the price table's (filed under today).
		if runs, _ := filepath.Glob(filepath.Join(dir, lake.ManifestDir, "day=*", "*.parquet")); len(runs) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the exporter did not archive the fixture's days and prices within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return dbPath, dir
}

func TestReportsOverTheLakeEqualTheFile(t *testing.T) {
	dbPath, dir := fixtureLake(t)
	for _, args := range [][]string{
		{"daily", "--from", "2026-11-01", "--to", "2026-11-02"},
		{"users", "--days", "2", "--to-day", "2026-11-02"},
		{"projects", "--from-day", "2026-11-01", "--to-day", "2026-11-02"},
		{"cost", "--as-of", "2026-11-02"},
		{"quota", "--as-of", "2026-11-02T12:00:00Z"},
		{"rate_limited", "--as-of", "2026-11-02T12:00:00Z"},
		{"rates", "--as-of", "2026-11-02T10:01:30Z", "--limits", `[{"provider":"gcp.gemini","rpm":10,"rpd":20,"tpm":250000}]`},
		{"prices", "--in-force-on", "2026-11-02"},
	} {
		code, want, stderr := runCLI(append(append([]string{"report"}, args...), "--db", dbPath, "--format", "csv")...)
		if code != 0 {
			t.Fatalf("%v --db: %s", args, stderr)
		}
		code, got, stderr := runCLI(append(append([]string{"report"}, args...), "--lake", dir, "--format", "csv")...)
		if code != 0 {
			t.Fatalf("%v --lake: %s", args, stderr)
		}
		if got != want {
			t.Errorf("%v over the lake:\n%s\nover the file:\n%s", args, got, want)
		}
		if strings.Count(want, "\n") < 2 {
			t.Errorf("%v: no rows, the comparison proves nothing:\n%s", args, want)
		}
	}
}

func TestLakeCommandsRefuseWhatTheyCannotDo(t *testing.T) {
	dbPath, dir := fixtureLake(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "retention", "--lake", dir}, "report retention changes the database; the lake is read, never written"},
		{[]string{"report", "daily", "--lake", dir, "--db", dbPath}, "give one of --db, --server and --lake"},
		{[]string{"report", "daily", "--lake", filepath.Join(dir, "nope")}, "open lake: stat"},
		{[]string{"lake", "verify"}, "--lake: name the lake directory"},
		{[]string{"lake", "compact", "--lake", dir, "--day", "2026-02-30"}, `"2026-02-30" is not a date`},
		{[]string{"lake", "vacuum"}, `unknown subcommand "vacuum"`},
	} {
		code, _, stderr := runCLI(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s; want an error saying %q", c.args, code, stderr, c.want)
		}
	}
}

func TestLakeVerifyAndCompact(t *testing.T) {
	_, dir := fixtureLake(t)
	code, out, stderr := runCLI("lake", "verify", "--lake", dir)
	if code != 0 || !strings.Contains(out, "ok: every file is as the manifest says") {
		t.Fatalf("verify a fresh lake: exit %d\n%s%s", code, out, stderr)
	}
	t.Logf("$ aiusage lake verify --lake DIR\n%s", out)
	code, out, stderr = runCLI("lake", "compact", "--lake", dir)
	if code != 0 || !strings.Contains(out, "nothing to compact") {
		t.Errorf("compact a lake of one file a table and day: exit %d\n%s%s", code, out, stderr)
	}
	// A stray file and a lost one.
	entries, err := filepath.Glob(filepath.Join(dir, "ai_usage_log", "day=2026-11-01", "*.parquet"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("day 1's call files: %v %v", entries, err)
	}
	if err := os.Remove(entries[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ai_usage_log", "day=2026-11-02", "gw-9_"+lake.NewID()+".parquet"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI("lake", "verify", "--lake", dir, "--no-checksums")
	if code != 1 || !strings.Contains(out, "missing") || !strings.Contains(out, "unrecorded") || !strings.Contains(stderr, "2 problems") {
		t.Errorf("verify a damaged lake: exit %d\n%s%s", code, out, stderr)
	}
	t.Logf("$ aiusage lake verify --lake DIR --no-checksums\n%s%s", out, stderr)
}
