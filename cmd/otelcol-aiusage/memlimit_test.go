package main

import (
	"context"
	"math"
	"runtime/debug"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/processor/processortest"
)

// TestMemoryLimiterSetsGoMemoryLimit checks that the distribution's memory_limiter
// sets the runtime's soft memory limit to limit_mib, the smallest of several, and
// leaves an operator's GOMEMLIMIT alone.
func TestMemoryLimiterSetsGoMemoryLimit(t *testing.T) {
	f, err := factories()
	if err != nil {
		t.Fatal(err)
	}
	factory := f.Processors[memoryLimiterType]
	// create makes a memory_limiter, for traces or for metrics.
	create := func(limitMiB uint32, traces bool) {
		t.Helper()
		cfg := factory.CreateDefaultConfig().(*memorylimiterprocessor.Config)
		cfg.CheckInterval = 1e9
		cfg.MemoryLimitMiB = limitMiB
		set := processortest.NewNopSettings(memoryLimiterType)
		var err error
		if traces {
			_, err = factory.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
		} else {
			_, err = factory.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	restore := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(restore) })

	for _, tt := range []struct {
		name     string
		gomemlim string // "" = unset
		start    int64
		limits   []uint32
		want     int64
	}{
		{"one limiter", "", math.MaxInt64, []uint32{192}, 192 << 20},
		{"the smallest of two", "", math.MaxInt64, []uint32{512, 193}, 193 << 20},
		{"a larger one later", "", math.MaxInt64, []uint32{193, 512}, 193 << 20},
		{"GOMEMLIMIT set", "1GiB", 1 << 30, []uint32{192}, 1 << 30},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.gomemlim != "" {
				t.Setenv("GOMEMLIMIT", tt.gomemlim)
			}
			debug.SetMemoryLimit(tt.start)
			for i, l := range tt.limits {
				create(l, i%2 == 0)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.want {
				t.Errorf("runtime memory limit %d, want %d", got, tt.want)
			}
		})
	}
}

var _ processor.Factory = goMemoryLimitFactory{}
