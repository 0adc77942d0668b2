package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // database/sql driver "duckdb", for the gateways' files

	"github.com/aiusage/aiusage/internal/demo"
	"github.com/aiusage/aiusage/internal/lake"
)

// gatewayName is the DNS name the agent resolves to every gateway, as a headless
// Service's name would be.
const gatewayName = "gateways.aiusage.test"

// gateway is one collector of the gateway tier: collector-config/config.yaml with the
// archive on, its own DuckDB file and queue, on its own loopback address.
type gateway struct {
	id   string
	dir  string
	otlp string // host:port of its OTLP/gRPC receiver
	log  *os.File
	proc *demo.Collector
}

// db is the gateway's DuckDB file.
func (g *gateway) db() string { return filepath.Join(g.dir, "aiusage.duckdb") }

// fleet is the gateways, their lake and the DNS name that resolves to them.
type fleet struct {
	t        *testing.T
	lake     string
	dns      *dnsServer
	port     int
	gateways []*gateway
	env      []string // more AIUSAGE_* for every gateway
}

// newFleet prepares n gateways on 127.0.0.2, .3, ... sharing one port, and the DNS
// server that names them all; start runs each.
func newFleet(t *testing.T, n int, env ...string) *fleet {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a fleet of built collectors")
	}
	dir := t.TempDir()
	f := &fleet{t: t, lake: filepath.Join(dir, "lake"), env: env}
	var addrs []netip.Addr
	for i := range n {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + i)}))
	}
	f.port = commonPort(t, addrs)
	f.dns = startDNS(t, gatewayName, addrs...)
	for i, a := range addrs {
		g := &gateway{id: "gw-" + strconv.Itoa(i+1), dir: filepath.Join(dir, "gw-"+strconv.Itoa(i+1)),
			otlp: net.JoinHostPort(a.String(), strconv.Itoa(f.port))}
		if err := os.MkdirAll(g.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		log, err := os.Create(filepath.Join(g.dir, "collector.log"))
		if err != nil {
			t.Fatal(err)
		}
		g.log = log
		f.gateways = append(f.gateways, g)
	}
	t.Cleanup(func() {
		for _, g := range f.gateways {
			if g.proc != nil {
				f.kill(g)
			}
			g.log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(g.log.Name())
				t.Logf("%s log (last 6 KiB):\n%s", g.id, tail(b, 6<<10))
			}
		}
	})
	return f
}

// target is the agent's gRPC target: the gateways' name, asked of the test's DNS server.
func (f *fleet) target() string {
	return "dns://" + f.dns.addr() + "/" + gatewayName + ":" + strconv.Itoa(f.port)
}

// start runs a gateway on its address, directory and lake, and waits until it is
// healthy; a restarted gateway picks up where it stopped.
func (f *fleet) start(g *gateway) {
	f.t.Helper()
	fmt.Fprintf(g.log, "=== fleet test: %s starting ===\n", g.id)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	proc, err := demo.StartCollector(ctx, demo.CollectorOptions{
		Binary: collectorBin, Config: configPath("config.yaml"), Dir: g.dir, Log: g.log,
		Env: append([]string{
			"AIUSAGE_OTLP_GRPC_ENDPOINT=" + g.otlp,
			"AIUSAGE_ARCHIVE_DIR=" + f.lake,
			"AIUSAGE_COLLECTOR_ID=" + g.id,
			"AIUSAGE_ARCHIVE_INTERVAL=1s",
			"AIUSAGE_ARCHIVE_GRACE=0s",
			"AIUSAGE_BATCH_TIMEOUT=100ms",
		}, f.env...),
	})
	if err != nil {
		f.t.Fatalf("start %s: %v", g.id, err)
	}
	g.proc = proc
}

// stop shuts a gateway down in order (SIGTERM), releasing its DuckDB file.
func (f *fleet) stop(g *gateway) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := g.proc.Stop(ctx)
	g.proc = nil
	if err != nil {
		f.t.Fatalf("stop %s: %v", g.id, err)
	}
}

// kill ends a gateway with SIGKILL: no shutdown, as the OOM killer would.
func (f *fleet) kill(g *gateway) {
	if err := syscall.Kill(g.proc.PID(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		f.t.Errorf("kill %s: %v", g.id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = g.proc.Stop(ctx) // reaps it
	g.proc = nil
}

// storedCalls is how many calls the gateways stored, from their report endpoints.
func (f *fleet) storedCalls(ctx context.Context) (int64, error) {
	var n int64
	for _, g := range f.gateways {
		got, err := (&demo.Reporter{URL: g.proc.Endpoints.ReportsURL()}).Requests(ctx)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", g.id, err)
		}
		n += got
	}
	return n, nil
}

// waitStored waits until the gateways stored want calls.
func (f *fleet) waitStored(want int64, timeout time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := f.storedCalls(context.Background())
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the gateways stored %d calls after %s, want %d (%v)", got, timeout, want, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitArchived waits until the lake's manifest lists want calls and has not changed
// for a few archive intervals: every gateway has archived everything it holds.
func (f *fleet) waitArchived(want int64, timeout time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	var stable time.Time
	for {
		db := memDB(f.t)
		entries, err := lake.ReadManifest(context.Background(), db, f.lake, time.Time{})
		db.Close()
		var calls int64
		var sig []string
		for _, e := range lake.Live(entries) {
			sig = append(sig, e.File)
			if e.Table == lake.UsageLog {
				calls += e.Rows
			}
		}
		now := strings.Join(sig, ",")
		if now != last {
			last, stable = now, time.Now()
		}
		if err == nil && calls == want && time.Since(stable) > 4*time.Second {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the lake lists %d calls after %s, want %d (%v)", calls, timeout, want, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// commonPort finds a port free on every address.
func commonPort(t *testing.T, addrs []netip.Addr) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", net.JoinHostPort(addrs[0].String(), "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v (this test needs the whole of 127.0.0.0/8 on loopback)", addrs[0], err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		free := true
		for _, a := range addrs[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port
		}
	}
	t.Fatal("no port free on every gateway address")
	return 0
}

// memDB is an in-memory DuckDB for reading Parquet and attaching the gateways' files.
func memDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// tail is the last n bytes of b, from a line start.
func tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	s := string(b[len(b)-n:])
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
