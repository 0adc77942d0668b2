package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CollectorOptions say how to run an otelcol-aiusage binary.
type CollectorOptions struct {
	// Binary is the otelcol-aiusage executable.
	Binary string
	// Config is the collector configuration file, normally collector-config/config.yaml.
	Config string
	// Dir holds the DuckDB file and the persistent queue unless DB is set.
	Dir string
	// DB is the DuckDB file; empty means Dir/aiusage.duckdb.
	DB string
	// PreferDefaultPorts picks listen addresses: true takes the configuration's defaults where they
	// are free, false always takes free loopback ports (tests run side by side).
	PreferDefaultPorts bool
	// Env adds AIUSAGE_* variables (e.g. AIUSAGE_BATCH_TIMEOUT=200ms); it wins over the
	// values set here.
	Env []string
	// Log receives the collector's output; nil discards it.
	Log io.Writer
}

// Endpoints are the addresses a running collector listens on.
type Endpoints struct {
	OTLPGRPC   string // host:port of the OTLP/gRPC receiver
	OTLPHTTP   string // host:port of the OTLP/HTTP receiver
	Prometheus string // host:port of the prometheus exporter (/metrics)
	Health     string // host:port of the health_check extension
	Reports    string // host:port of the duckdb exporter's report endpoint
	Telemetry  string // host:port of the collector's own metrics (/metrics)
}

// ReportsURL is the base URL the report client and `aiusage report --server` take.
func (e Endpoints) ReportsURL() string { return "http://" + e.Reports }

// PrometheusURL is the URL of the prometheus exporter's scrape page.
func (e Endpoints) PrometheusURL() string { return "http://" + e.Prometheus + "/metrics" }

// Collector is a running otelcol-aiusage process.
type Collector struct {
	Endpoints Endpoints
	// DB is the DuckDB file the collector writes.
	DB  string
	cmd *exec.Cmd
	// exited is closed once the process ended; err is its Wait result.
	exited chan struct{}
	err    error
}

// Default listen addresses of collector-config/config.yaml.
var defaultEndpoints = Endpoints{
	OTLPGRPC:   "127.0.0.1:4317",
	OTLPHTTP:   "127.0.0.1:4318",
	Prometheus: "127.0.0.1:8889",
	Health:     "127.0.0.1:13133",
	Reports:    "127.0.0.1:8765",
	Telemetry:  "127.0.0.1:8888",
}

// StartCollector starts the collector and waits until its health check answers, the
// process exits or ctx ends. The caller must Stop it.
func StartCollector(ctx context.Context, o CollectorOptions) (*Collector, error) {
	for _, f := range []struct{ name, path string }{{"collector binary", o.Binary}, {"collector config", o.Config}} {
		if _, err := os.Stat(f.path); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if o.Dir == "" {
		return nil, errors.New("collector: Dir must be set")
	}
	db := o.DB
	if db == "" {
		db = filepath.Join(o.Dir, "aiusage.duckdb")
	}
	ep, err := pickEndpoints(o.PreferDefaultPorts)
	if err != nil {
		return nil, err
	}
	_, telemetryPort, _ := net.SplitHostPort(ep.Telemetry)
	cmd := exec.Command(o.Binary, "--config", o.Config)
	cmd.Env = append(os.Environ(),
		"AIUSAGE_DB="+db,
		"AIUSAGE_QUEUE_DIR="+filepath.Join(o.Dir, "queue"),
		"AIUSAGE_OTLP_GRPC_ENDPOINT="+ep.OTLPGRPC,
		"AIUSAGE_OTLP_HTTP_ENDPOINT="+ep.OTLPHTTP,
		"AIUSAGE_PROMETHEUS_ENDPOINT="+ep.Prometheus,
		"AIUSAGE_HEALTH_ENDPOINT="+ep.Health,
		"AIUSAGE_REPORTS_ENDPOINT="+ep.Reports,
		"AIUSAGE_TELEMETRY_HOST=127.0.0.1",
		"AIUSAGE_TELEMETRY_PORT="+telemetryPort,
	)
	cmd.Env = append(cmd.Env, o.Env...)
	if o.Log != nil {
		cmd.Stdout, cmd.Stderr = o.Log, o.Log
	}
	// Its own process group, so a Ctrl-C in the terminal reaches us first and we stop
	// it in order (flush, close the database) rather than racing it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start collector %s: %w", o.Binary, err)
	}
	c := &Collector{Endpoints: ep, DB: db, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	if err := c.waitHealthy(ctx); err != nil {
		_ = c.Stop(context.Background())
		return nil, err
	}
	return c, nil
}

// PID is the collector's process id.
func (c *Collector) PID() int { return c.cmd.Process.Pid }

// waitHealthy polls the health_check endpoint until it answers 200.
func (c *Collector) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	url := "http://" + c.Endpoints.Health + "/"
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("collector exited before it was healthy: %v", c.err)
		case <-ctx.Done():
			return fmt.Errorf("collector not healthy at %s: %w", url, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop asks the collector to shut down (SIGTERM: it drains its pipelines and closes the
// database) and waits for it; when ctx ends first the process is killed.
func (c *Collector) Stop(ctx context.Context) error {
	select {
	case <-c.exited:
		return c.exitErr()
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop collector: %w", err)
	}
	select {
	case <-c.exited:
		return c.exitErr()
	case <-ctx.Done():
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("collector did not stop in time; killed: %w", ctx.Err())
	}
}

func (c *Collector) exitErr() error {
	if c.err != nil {
		return fmt.Errorf("collector: %w", c.err)
	}
	return nil
}

// RSS is the collector's resident set size in bytes, from /proc.
func (c *Collector) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.PID()))
	if err != nil {
		return 0, fmt.Errorf("collector rss: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("collector rss: parse %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("collector rss: no VmRSS in /proc status")
}

// pickEndpoints chooses listen addresses: the defaults when preferred and free, else
// free loopback ports.
func pickEndpoints(preferDefaults bool) (Endpoints, error) {
	ep := defaultEndpoints
	var err error
	for _, addr := range []*string{&ep.OTLPGRPC, &ep.OTLPHTTP, &ep.Prometheus, &ep.Health, &ep.Reports, &ep.Telemetry} {
		if preferDefaults && isFree(*addr) {
			continue
		}
		if *addr, err = freeAddr(); err != nil {
			return Endpoints{}, err
		}
	}
	return ep, nil
}

func isFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
