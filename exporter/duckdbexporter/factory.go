// Package duckdbexporter is an OpenTelemetry Collector exporter (type duckdb) that lands
// aiusage GenAI spans and metric points in a DuckDB file: one ai_usage_log row per
// GenAI span, every metric point by type, typed quota snapshots and a daily roll-up
// that outlives retention. It can serve the report queries over HTTP, since the file
// is held exclusively while the collector runs.
package duckdbexporter // import "github.com/aiusage/aiusage/exporter/duckdbexporter"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
)

const (
	defaultMemoryLimit         = "512MB"
	defaultCheckpointThreshold = "64MB"
	defaultRetentionInterval   = time.Hour
	defaultReportsEndpoint     = "" // off unless configured; the README shows 127.0.0.1:8765
	defaultArchiveGrace        = time.Hour
	defaultArchiveInterval     = 5 * time.Minute

	// The sending queue and its batches are sized in bytes of OTLP protobuf, so that
	// spans carrying content cannot make a batch or a queue in memory large: 4-8 MiB is
	// ~4,600-9,300 typical GenAI spans (~900 B) and ~128-256 with 32 KB prompts. A batch's
	// maximum must be at least the largest request the receiver takes (4 MiB by
	// default), or a span larger than it would be dropped.
	defaultBatchMinBytes = 4 << 20
	defaultBatchMaxBytes = 8 << 20
	defaultQueueBytes    = 64 << 20

	// The OTel SDK's default attribute count limit; 64 KiB holds the contract's
	// attributes plus recorded prompt and response content (16 KiB a value).
	defaultAttributeMaxCount = 128
	defaultAttributeMaxBytes = 64 << 10
)

// NewFactory returns the factory of the duckdb exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// One writer holds the file and batches are written one at a time; a second consumer
	// has the next batch taken from the queue and sorted while one is written.
	queue.NumConsumers = 2
	queue.Sizer = exporterhelper.RequestSizerTypeBytes
	queue.QueueSize = defaultQueueBytes
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.Sizer = exporterhelper.RequestSizerTypeBytes
	batch.MinSize = defaultBatchMinBytes
	batch.MaxSize = defaultBatchMaxBytes
	batch.FlushTimeout = time.Second
	queue.Batch = configoptional.Some(batch)
	return &Config{
		TimeoutConfig:       exporterhelper.TimeoutConfig{Timeout: 30 * time.Second},
		BackOffConfig:       configretry.NewDefaultBackOffConfig(),
		QueueConfig:         configoptional.Some(queue),
		MemoryLimit:         defaultMemoryLimit,
		CheckpointThreshold: defaultCheckpointThreshold,
		CreateSchema:        true,
		RetentionInterval:   defaultRetentionInterval,
		AttributeLimits:     AttributeLimitsConfig{MaxCount: defaultAttributeMaxCount, MaxBytes: defaultAttributeMaxBytes},
		Tables:              defaultTables(),
		Reports:             defaultReportsConfig(),
		Archive:             ArchiveConfig{GracePeriod: defaultArchiveGrace, Interval: defaultArchiveInterval},
		Budgets:             defaultBudgetsConfig(),
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e := sharedExporter(c, set)
	exp, err := exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, helperOptions(c, e)...)
	if err != nil {
		return nil, err
	}
	return tracesQueueLock{exp, newQueueLock(c, set.ID, pipeline.SignalTraces)}, nil
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e := sharedExporter(c, set)
	exp, err := exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, helperOptions(c, e)...)
	if err != nil {
		return nil, err
	}
	return metricsQueueLock{exp, newQueueLock(c, set.ID, pipeline.SignalMetrics)}, nil
}

func helperOptions(c *Config, e *duckdbExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	}
}

// A collector builds the traces and the metrics exporter of one component ID from the
// same *Config; both must write through one database handle, since DuckDB lets only one
// handle hold a file.
var (
	sharedMu  sync.Mutex
	instances = map[*Config]*duckdbExporter{}
)

func sharedExporter(c *Config, set exporter.Settings) *duckdbExporter {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if e, ok := instances[c]; ok {
		return e
	}
	e := newExporter(c, set, func() {
		sharedMu.Lock()
		defer sharedMu.Unlock()
		delete(instances, c)
	})
	instances[c] = e
	return e
}
