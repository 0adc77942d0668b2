package durability

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestMemoryHoldsUnderLargeContent offers the built collector, with the shipped
// configuration, more spans than it can store for 30 s, as apps that record content
// send them: every prompt 32 KB, every 50th call with a 1 MB system instruction. Its
// resident memory must stay within the footprint config.yaml states plus a margin,
// and the apps must see retryable refusals, not a dead collector.
func TestMemoryHoldsUnderLargeContent(t *testing.T) {
	const (
		offer = 30 * time.Second
		// margin is what the test allows above the stated footprint: the memory
		// limiter samples the heap every check_interval, and DuckDB's memory_limit
		// bounds its buffer pool, not every allocation it makes.
		margin = 32 << 20
	)
	c := newCollector(t)
	footprint := statedFootprint(t)
	c.start()
	mem := sampleMemory(c.proc.PID(), 50*time.Millisecond)

	gen, err := Start(context.Background(), Options{
		Endpoint: c.otlp, Streams: 4,
		// Exports of 16 spans stay under the receiver's 4 MiB request limit even with
		// two 1 MB instructions among them.
		BatchSize: 16,
		Content:   largeContent,
	})
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < offer; {
		time.Sleep(5 * time.Second)
		rss, _ := procStatus(c.proc.PID(), "VmRSS")
		anon, _ := procStatus(c.proc.PID(), "RssAnon")
		heap, _ := c.metric("otelcol_process_runtime_heap_alloc_bytes", nil)
		goSys, _ := c.metric("otelcol_process_runtime_total_sys_memory_bytes", nil)
		queued, _ := c.metric("otelcol_exporter_queue_size", duckdbQueue)
		t.Logf("%4.0fs: RSS %s (anonymous %s), Go heap %s of %s from the OS, queue %s",
			time.Since(start).Seconds(), mib(rss), mib(anon), mib(int64(heap)), mib(int64(goSys)), mib(int64(queued)))
	}
	refusedByLimiter, _ := c.metric("otelcol_processor_memory_limiter_refused_spans", nil)
	queueFull, _ := c.metric("otelcol_exporter_enqueue_failed_spans", map[string]string{"exporter": "duckdb"})
	queueBytes, _ := c.metric("otelcol_exporter_queue_size", duckdbQueue)
	peak := mem.stop()
	hwm, _ := procStatus(c.proc.PID(), "VmHWM")
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := gen.Stop(stopCtx); err != nil {
		t.Error(err)
	}
	st := gen.Stats()

	t.Logf("offered for %s: recorded %d large-content spans (%.0f/s), acknowledged %d, failed %d; "+
		"export attempts OK %d, refused retryably (UNAVAILABLE) %d, other %d; "+
		"collector: refused by memory_limiter %.0f spans, by a full queue %.0f, queue holds %s",
		offer, st.Recorded, float64(st.Recorded)/st.Elapsed.Seconds(), st.Acknowledged, st.Failed,
		st.Attempts[codes.OK], st.Attempts[codes.Unavailable], refusals(st)-st.Attempts[codes.Unavailable],
		refusedByLimiter, queueFull, mib(int64(queueBytes)))
	t.Logf("peak RSS %s (anonymous %s, file-backed %s; kernel high-water mark %s)",
		mib(peak.rss), mib(peak.anon), mib(peak.file), mib(hwm))
	if footprint == 0 {
		t.Logf("%s states no footprint: RSS not checked", shippedConfig)
	} else {
		t.Logf("stated footprint %s, allowed with the margin %s", mib(footprint), mib(footprint+margin))
	}
	if footprint > 0 && peak.rss > footprint+margin {
		t.Errorf("peak RSS %s exceeds the stated footprint %s + %s margin", mib(peak.rss), mib(footprint), mib(margin))
	}
	if st.Attempts[codes.Unavailable] == 0 {
		t.Errorf("the collector never refused: the offer was not above its capacity")
	}
	if other := refusals(st) - st.Attempts[codes.Unavailable]; other != 0 {
		t.Errorf("%d export attempts failed with a code other than UNAVAILABLE: %v", other, st.Attempts)
	}
	if st.Acknowledged == 0 {
		t.Errorf("nothing acknowledged")
	}
	// Still alive and answering after the overload.
	if _, err := c.metric("otelcol_process_uptime", nil); err != nil {
		t.Errorf("collector after the overload: %v", err)
	}
	c.stop()
}

// largeContent is the prompt of call n as an app recording content sends it: a 32 KB
// user message, and on every 50th call a 1 MB system instruction.
func largeContent(n int64) (input, system string) {
	input = fmt.Sprintf(`[{"role":"user","parts":[{"type":"text","content":"call %d: %s"}]}]`, n, prose(32<<10))
	if n%50 == 0 {
		system = fmt.Sprintf(`[{"type":"text","content":"call %d: %s"}]`, n, prose(1<<20))
	}
	return input, system
}

// prose returns n bytes of plain words, the same for every n (shared, not copied).
var prose = func() func(n int) string {
	var mu sync.Mutex
	texts := map[int]string{}
	return func(n int) string {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := texts[n]; ok {
			return s
		}
		words := strings.Fields("the assistant read the whole conversation again and answered each question in turn with care")
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(words[i%len(words)])
			b.WriteByte(' ')
		}
		texts[n] = b.String()[:n]
		return texts[n]
	}
}()

// statedFootprint is the memory footprint collector-config/config.yaml states for its
// defaults: AIUSAGE_MEMORY_LIMIT_MIB + AIUSAGE_DUCKDB_MEMORY_LIMIT +
// AIUSAGE_QUEUE_MAX_BYTES + the fixed part; 0 for a baseline configuration
// (AIUSAGE_DURABILITY_CONFIG) that states none.
func statedFootprint(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	missing := false
	get := func(re string, unit int64) int64 {
		m := regexp.MustCompile(re).FindStringSubmatch(cfg)
		if m == nil {
			missing = true
			return 0
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			t.Fatalf("config.yaml: %s: %v", re, err)
		}
		return n * unit
	}
	footprint := get(`\$\{env:AIUSAGE_MEMORY_LIMIT_MIB:-(\d+)\}`, 1<<20) +
		get(`\$\{env:AIUSAGE_DUCKDB_MEMORY_LIMIT:-(\d+)MB\}`, 1<<20) +
		get(`\$\{env:AIUSAGE_QUEUE_MAX_BYTES:-(\d+)\}`, 1) +
		get(`\+ about (\d+) MiB\s+the binary`, 1<<20)
	switch {
	case !missing:
		return footprint
	case os.Getenv("AIUSAGE_DURABILITY_CONFIG") != "":
		return 0
	}
	t.Fatalf("%s no longer states its footprint as this test reads it", shippedConfig)
	return 0
}

// memoryPeak is the largest resident set seen, with its parts.
type memoryPeak struct {
	rss, anon, file int64
}

// memorySampler reads a process's resident memory from /proc until stopped.
type memorySampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak memoryPeak
}

func sampleMemory(pid int, every time.Duration) *memorySampler {
	s := &memorySampler{done: make(chan struct{})}
	s.wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if rss, err := procStatus(pid, "VmRSS"); err == nil && rss > s.peak.rss {
				s.peak.rss = rss
			}
			if anon, err := procStatus(pid, "RssAnon"); err == nil && anon > s.peak.anon {
				s.peak.anon = anon
			}
			if file, err := procStatus(pid, "RssFile"); err == nil && file > s.peak.file {
				s.peak.file = file
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	})
	return s
}

// stop ends sampling and returns the peaks.
func (s *memorySampler) stop() memoryPeak {
	close(s.done)
	s.wg.Wait()
	return s.peak
}

// procStatus reads one "kB" field of /proc/pid/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status %s: %w", pid, field, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}
