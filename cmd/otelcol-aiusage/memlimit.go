package main

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.uber.org/zap"
)

// goMemoryLimitFactory is the memory_limiter factory, except that creating a
// memory_limiter with limit_mib also sets the Go runtime's soft memory limit
// (GOMEMLIMIT) to limit_mib, unless GOMEMLIMIT is set. The limiter refuses data
// above limit_mib - spike_limit_mib but only sees the heap every check_interval;
// without a runtime limit the garbage collector lets the heap, garbage included, grow
// to twice what is live (GOGC=100) before collecting, and the process outgrows the
// limit an operator sized the host for.
type goMemoryLimitFactory struct {
	processor.Factory
}

func (f goMemoryLimitFactory) CreateTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	setGoMemoryLimit(cfg, set.Logger)
	return f.Factory.CreateTraces(ctx, set, cfg, next)
}

func (f goMemoryLimitFactory) CreateMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	setGoMemoryLimit(cfg, set.Logger)
	return f.Factory.CreateMetrics(ctx, set, cfg, next)
}

func (f goMemoryLimitFactory) CreateLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	setGoMemoryLimit(cfg, set.Logger)
	return f.Factory.CreateLogs(ctx, set, cfg, next)
}

// memoryLimiterType is the memory_limiter's component type.
var memoryLimiterType = component.MustNewType("memory_limiter")

// goMemoryLimitMu orders the read and the update of the runtime limit.
var goMemoryLimitMu sync.Mutex

// setGoMemoryLimit lowers the runtime's soft memory limit to cfg's limit_mib. With
// several memory_limiters the smallest limit wins; a limit given as a percentage of
// the host's memory is left to GOMEMLIMIT.
func setGoMemoryLimit(cfg component.Config, logger *zap.Logger) {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return
	}
	c, ok := cfg.(*memorylimiterprocessor.Config)
	if !ok || c.MemoryLimitMiB == 0 {
		return
	}
	limit := int64(c.MemoryLimitMiB) << 20
	goMemoryLimitMu.Lock()
	defer goMemoryLimitMu.Unlock()
	if current := debug.SetMemoryLimit(-1); current != math.MaxInt64 && current <= limit {
		return
	}
	debug.SetMemoryLimit(limit)
	logger.Info("Go runtime soft memory limit (GOMEMLIMIT) set to memory_limiter's limit_mib",
		zap.Uint32("limit_mib", c.MemoryLimitMiB))
}
