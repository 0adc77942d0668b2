package durability

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/demo"
)

// TestSecondCollectorOnQueueDirectory starts a second collector with its own DuckDB
// file on the queue directory of a running one: it must refuse to start, naming the
// queue file, the directory and the collector holding it.
func TestSecondCollectorOnQueueDirectory(t *testing.T) {
	c := newCollector(t)
	c.start()
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	second, err := demo.StartCollector(ctx, demo.CollectorOptions{
		Binary: collectorBin, Config: shippedConfig, Dir: c.dir, DB: filepath.Join(t.TempDir(), "other.duckdb"), Log: &log,
	})
	if err == nil {
		_ = second.Stop(ctx)
		t.Fatal("a second collector started on the queue directory of a running one")
	}
	queue := filepath.Join(c.dir, "queue")
	// With one holder on the host the error names it; with several (other collectors,
	// other tests running at once) it names each, the directory in parentheses.
	want := regexp.MustCompile(regexp.QuoteMeta(queue+"/exporter_duckdb__") + `(traces|metrics) is locked by ` +
		regexp.QuoteMeta(fmt.Sprintf("process %d (otelcol-aiusage)", c.proc.PID())) +
		`(; | \()two collectors cannot share the queue directory ` + regexp.QuoteMeta(queue))
	if !want.Match(log.Bytes()) {
		t.Errorf("the second collector's error does not name the queue file, its directory and the holder:\n%s", tail(log.Bytes(), 4<<10))
	}
	for _, line := range bytes.Split(log.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Error:")) {
			t.Logf("second collector: %s", line)
		}
	}
	c.stop()
}
