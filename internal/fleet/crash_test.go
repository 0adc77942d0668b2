package fleet

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/durability"
	"github.com/aiusage/aiusage/internal/lake"
)

// TestGatewayKilledWhileArchiving feeds two gateways with spans dated onto two closed
// UTC days, so that they archive every second, each pass writing what arrived since
// the last, and SIGKILLs the first gateway three times in the middle of an archive run
// (its staging directory in the lake exists), restarting it on the same DuckDB file,
// queue and lake. Afterwards every span the gateways acknowledged is in the lake's
// files exactly once, every day holds in the lake what it holds in the gateways' files,
// and the manifest matches the files.
func TestGatewayKilledWhileArchiving(t *testing.T) {
	const (
		rate  = 1000 // spans a second, each generator
		kills = 3
	)
	f := newFleet(t, 2)
	for _, g := range f.gateways {
		f.start(g)
	}
	victim := f.gateways[0]
	var gens []*durability.Generator
	for _, o := range []durability.Options{
		{Endpoint: victim.otlp, Rate: rate, Age: 26 * time.Hour, Service: "crash-a"},
		{Endpoint: victim.otlp, Rate: rate, Age: 50 * time.Hour, Service: "crash-b"},
		{Endpoint: f.gateways[1].otlp, Rate: rate, Age: 26 * time.Hour, Service: "crash-c"},
	} {
		gen, err := durability.Start(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		gens = append(gens, gen)
	}
	// Each kill lands at another step of a run: while DuckDB writes the files (the
	// staging directory exists), once a file is in the lake (no manifest lists it yet),
	// once the run's manifest is written (DuckDB may not have committed yet).
	for i, moment := range []struct {
		what string
		seen func() int
	}{
		{"while DuckDB wrote a run's files", func() int { return count(filepath.Join(f.lake, lake.StagingDir, victim.id)) }},
		{"once a file was in the lake", func() int { return count(filepath.Join(f.lake, "*", "day=*", victim.id+"_*.parquet")) }},
		{"once a run's manifest was in the lake", func() int { return count(filepath.Join(f.lake, lake.ManifestDir, "day=*", victim.id+"_*.parquet")) }},
	}[:kills] {
		time.Sleep(2 * time.Second)
		before := moment.seen()
		if i == 0 {
			before = 0 // the directory exists only while a run writes
		}
		deadline := time.Now().Add(30 * time.Second)
		for moment.seen() <= before {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: %s archived nothing for 30 s", i+1, victim.id)
			}
			time.Sleep(time.Millisecond)
		}
		f.kill(victim)
		t.Logf("kill %d: SIGKILL %s", i+1, moment.what)
		f.start(victim)
	}
	time.Sleep(2 * time.Second)
	var acked []string
	for _, gen := range gens {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := gen.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		cancel()
		acked = append(acked, gen.Acknowledged()...)
	}
	stored := f.waitSettled(int64(len(acked)), 2*time.Minute)
	f.waitArchived(stored, 2*time.Minute)
	for _, g := range f.gateways {
		f.stop(g)
	}

	union := unionDB(t, f.gateways)
	db := memDB(t)
	defer db.Close()
	entries, err := lake.ReadManifest(context.Background(), db, f.lake, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range lake.Live(entries) {
		if e.Table == lake.UsageLog {
			files = append(files, e.File)
		}
	}
	inFiles := countSpans(t, db, `SELECT span_id FROM read_parquet(`+lake.FilesList(f.lake, files)+`)`)
	var missing, doubled int
	for _, id := range acked {
		if inFiles[id] == 0 {
			missing++
		}
	}
	for _, n := range inFiles {
		if n > 1 {
			doubled += n - 1
		}
	}
	lakeDays := dayCounts(t, db, `SELECT day, count(*) FROM read_parquet(`+lake.FilesList(f.lake, files)+`, hive_partitioning = true, hive_types = {'day': DATE}) GROUP BY day`)
	fileDays := dayCounts(t, union, `SELECT day, count(*) FROM ai_usage_log GROUP BY day`)
	t.Logf("%d kills while archiving; %d spans acknowledged, %d stored by the gateways, %d rows in %d lake files; "+
		"acknowledged but not in the lake %d, in the lake twice %d; per day, gateways %v, lake %v; %s",
		kills, len(acked), stored, len(inFiles), len(files), missing, doubled, fileDays, lakeDays, recoveries(t, victim))
	if missing != 0 || doubled != 0 {
		t.Errorf("%d acknowledged spans missing from the lake, %d doubled", missing, doubled)
	}
	if len(lakeDays) != 2 || !maps.Equal(lakeDays, fileDays) {
		t.Errorf("days in the lake %v, in the gateways' files %v", lakeDays, fileDays)
	}
	v, err := lake.Verify(context.Background(), db, f.lake, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Problems) != 0 {
		t.Errorf("lake verify after the kills: %+v", v.Problems)
	}
}

// waitSettled waits until the gateways stored at least want calls and the count has
// stopped moving, and returns it: calls whose acknowledgement a kill swallowed are
// stored too.
func (f *fleet) waitSettled(want int64, timeout time.Duration) int64 {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64 = -1
	since := time.Now()
	for {
		got, err := f.storedCalls(context.Background())
		if err == nil && got != last {
			last, since = got, time.Now()
		}
		if last >= want && time.Since(since) > 3*time.Second {
			return last
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the gateways stored %d calls after %s, want at least %d (%v)", last, timeout, want, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// dayCounts runs q, a query of days and counts.
func dayCounts(t *testing.T, db *sql.DB, q string) map[string]int64 {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var day time.Time
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			t.Fatal(err)
		}
		out[day.Format(time.DateOnly)] = n
	}
	return out
}

// recoveries summarises what the victim's restarts found, from its log.
func recoveries(t *testing.T, g *gateway) string {
	t.Helper()
	b, err := os.ReadFile(g.log.Name())
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	return "restarts adopted " + strconv.Itoa(strings.Count(log, "adopted a run")) + " runs whose manifest was written, removed " +
		strconv.Itoa(strings.Count(log, "removed a file an interrupted run left")) + " unlisted files"
}

// count is how many paths match pattern.
func count(pattern string) int {
	m, _ := filepath.Glob(pattern)
	return len(m)
}
