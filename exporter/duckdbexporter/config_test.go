package duckdbexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg, confmap.Validate(cfg)
}

func TestDefaultConfig(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(t, "duckdb")
	if err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	if cfg.MemoryLimit != "512MB" || !cfg.CreateSchema || cfg.Retention != 0 || cfg.Reports.Endpoint != "" ||
		cfg.AttributeLimits != (AttributeLimitsConfig{MaxCount: 128, MaxBytes: 64 << 10}) {
		t.Errorf("defaults: %+v", cfg)
	}
	q := cfg.QueueConfig.Get()
	if q == nil || q.Batch.Get() == nil || q.Batch.Get().MinSize != defaultBatchSize {
		t.Errorf("default sending queue should batch %d spans", defaultBatchSize)
	}
}

func TestFullConfig(t *testing.T) {
	cfg, err := loadConfig(t, "duckdb/full")
	if err != nil {
		t.Fatalf("full config: %v", err)
	}
	storage := component.MustNewID("file_storage")
	switch {
	case cfg.MemoryLimit != "1GB", cfg.Threads != 2, cfg.CheckpointThreshold != "256MB", cfg.CreateSchema,
		cfg.Retention != 720*time.Hour, cfg.RetentionInterval != 30*time.Minute,
		cfg.PricesFile != "/etc/aiusage/prices.csv", cfg.Reports.Endpoint != "127.0.0.1:8765",
		cfg.AttributeLimits != AttributeLimitsConfig{MaxCount: 64, MaxBytes: 32768},
		string(cfg.Reports.BearerToken) != "s3cret", cfg.Timeout != 10*time.Second,
		cfg.BackOffConfig.MaxElapsedTime != 10*time.Minute:
		t.Errorf("config not as written: %+v", cfg)
	}
	q := cfg.QueueConfig.Get()
	if q == nil || q.StorageID == nil || *q.StorageID != storage || q.QueueSize != 100000 {
		t.Errorf("sending_queue: %+v", q)
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	_, err := loadConfig(t, "duckdb/bad")
	if err == nil {
		t.Fatal("bad config validated")
	}
	for _, key := range []string{"path:", "memory_limit:", "threads:", "checkpoint_threshold:", "retention:",
		"retention_interval:", "timeout:", "attribute_limits.max_count:", "attribute_limits.max_bytes:", "reports.endpoint:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s\n%v", key, err)
		}
	}
}

func TestValidateReports(t *testing.T) {
	tests := []struct {
		reports ReportsConfig
		wantErr string
	}{
		{ReportsConfig{Endpoint: "127.0.0.1:8765"}, ""},
		{ReportsConfig{Endpoint: "localhost:8765", BearerToken: "t"}, ""},
		{ReportsConfig{Endpoint: "[::1]:8765"}, ""},
		{ReportsConfig{Endpoint: "10.0.0.1:8765", AllowNonLoopback: true, BearerToken: "t"}, ""},
		{ReportsConfig{Endpoint: "10.0.0.1:8765", AllowNonLoopback: true}, "reports.bearer_token"},
		{ReportsConfig{Endpoint: ":8765"}, "not a loopback"},
		{ReportsConfig{Endpoint: "127.0.0.1"}, "not host:port"},
		{ReportsConfig{BearerToken: "t"}, "without reports.endpoint"},
	}
	for _, tt := range tests {
		err := tt.reports.validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v: %v, want %q", tt.reports, err, tt.wantErr)
		}
	}
}

func TestValidateTables(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"renamed with an operator schema", func(c *Config) { c.CreateSchema = false; c.Tables.UsageLog = "calls" }, ""},
		{"renamed while the exporter creates the schema", func(c *Config) { c.Tables.UsageLog = "calls" },
			"tables.usage_log: \"calls\" differs from the schema's \"ai_usage_log\""},
		{"renamed with the reports endpoint", func(c *Config) {
			c.CreateSchema = false
			c.Tables.Daily = "daily"
			c.Reports.Endpoint = "127.0.0.1:8765"
		}, "tables.daily: \"daily\" differs"},
		{"not an identifier", func(c *Config) { c.CreateSchema = false; c.Tables.MetricSum = "sums; DROP TABLE x" },
			"tables.metric_sum: \"sums; DROP TABLE x\" is not a table name"},
		{"two tables one name", func(c *Config) {
			c.CreateSchema = false
			c.Tables.MetricSum = "points"
			c.Tables.MetricGauge = "points"
		}, "is already the name of tables.metric_gauge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Path = "usage.duckdb"
			tt.edit(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate: %v, want %q", err, tt.wantErr)
			}
		})
	}
}
