package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aiusage/aiusage/internal/demo"
)

// runDemo runs the whole system: collector, emulated (or real) providers, instrumented
// SDK traffic, then the reports. `make demo` builds bin/ first and runs it from the
// repository root.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := demo.Options{Stdout: stdout, Stderr: stderr}
	fs.StringVar(&o.Collector, "collector", defaultCollector(), "otelcol-aiusage `binary` to run")
	fs.StringVar(&o.Config, "config", filepath.Join("collector-config", "config.yaml"), "collector configuration `file`")
	fs.StringVar(&o.Dir, "dir", "", "`directory` for the DuckDB file, queue and collector log (default: a new temporary one, kept)")
	fs.IntVar(&o.Calls, "calls", 300, "calls to make against the emulated providers")
	fs.IntVar(&o.RealCalls, "real-calls", 12, "calls to make when GROQ_API_KEY or GEMINI_API_KEY is set")
	fs.IntVar(&o.Workers, "workers", 6, "calls in flight at once")
	fs.BoolVar(&o.Keep, "keep", false, "keep the collector running after the reports, until Ctrl-C (for Prometheus and Grafana)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: aiusage demo [flags]\n\nStarts the collector and emulated Groq and Gemini, drives voice-assistant calls through\nthe instrumented SDKs, prints the reports and stops everything.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Calls < 1 || o.RealCalls < 1 || o.Workers < 1 {
		return fmt.Errorf("-calls, -real-calls and -workers must be at least 1")
	}
	return demo.Run(ctx, o)
}

// defaultCollector is otelcol-aiusage beside this executable (bin/), else bin/ under the
// working directory.
func defaultCollector() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "otelcol-aiusage")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join("bin", "otelcol-aiusage")
}
