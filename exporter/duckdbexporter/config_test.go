package duckdbexporter

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/aiusage/aiusage/internal/lake"
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
	if cfg.Archive != (ArchiveConfig{GracePeriod: time.Hour, Interval: 5 * time.Minute}) {
		t.Errorf("archive defaults: %+v, want off with an hour of grace, every 5m", cfg.Archive)
	}
	if cfg.MemoryLimit != "512MB" || !cfg.CreateSchema || cfg.Retention != 0 || !reflect.DeepEqual(cfg.Reports, defaultReportsConfig()) || cfg.Reports.CORSAllowedOrigins != nil ||
		cfg.Reports.Endpoint != "" || cfg.Reports.MaxConcurrent != 1 || cfg.Reports.QueryTimeout != 15*time.Second ||
		cfg.AttributeLimits != (AttributeLimitsConfig{MaxCount: 128, MaxBytes: 64 << 10}) {
		t.Errorf("defaults: %+v", cfg)
	}
	q := cfg.QueueConfig.Get()
	if q == nil || q.Sizer != exporterhelper.RequestSizerTypeBytes || q.Batch.Get() == nil ||
		q.Batch.Get().Sizer != exporterhelper.RequestSizerTypeBytes || q.Batch.Get().MinSize != defaultBatchMinBytes {
		t.Errorf("default sending queue should batch %d bytes, sized in bytes: %+v", defaultBatchMinBytes, q)
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
		cfg.BackOffConfig.MaxElapsedTime != 10*time.Minute,
		cfg.Archive != ArchiveConfig{Directory: "/var/lib/aiusage/lake", CollectorID: "gateway-0", GracePeriod: 2 * time.Hour, Interval: 10 * time.Minute}:
		t.Errorf("config not as written: %+v", cfg)
	}
	if r := cfg.Reports; r.MaxConcurrent != 2 || r.QueryTimeShare != 0.25 || r.MaxQueued != 4 || r.QueryTimeout != 5*time.Second ||
		r.CacheTTL != 10*time.Second || r.RequestsPerSecond != 20 ||
		!reflect.DeepEqual(r.CORSAllowedOrigins, []string{"https://app.example.com", "http://localhost:3000"}) {
		t.Errorf("reports not as written: %+v", r)
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
		"retention_interval:", "timeout:", "attribute_limits.max_count:", "attribute_limits.max_bytes:",
		"reports.endpoint:", "reports.bearer_token:", "reports.max_concurrent:",
		"reports.query_time_share:", "reports.max_queued:", "reports.query_timeout:", "reports.cache_ttl:",
		"reports.requests_per_second:", "reports.cors_allowed_origins[0]:", "reports.cors_allowed_origins[1]:",
		"archive.collector_id:", "archive.grace_period:", "archive.interval:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s\n%v", key, err)
		}
	}
}

func TestValidateReports(t *testing.T) {
	const longToken configopaque.String = "0123456789abcdef"
	tests := []struct {
		name    string
		edit    func(*ReportsConfig)
		wantErr string
	}{
		{"off", func(*ReportsConfig) {}, ""},
		{"loopback without a token", func(r *ReportsConfig) { r.Endpoint = "127.0.0.1:8765" }, ""},
		{"loopback with a short token", func(r *ReportsConfig) { r.Endpoint = "localhost:8765"; r.BearerToken = "t" }, ""},
		{"IPv6 loopback", func(r *ReportsConfig) { r.Endpoint = "[::1]:8765" }, ""},
		{"public with a long token", func(r *ReportsConfig) {
			r.Endpoint, r.AllowNonLoopback, r.BearerToken = "10.0.0.1:8765", true, longToken
		}, ""},
		{"public without a token", func(r *ReportsConfig) { r.Endpoint, r.AllowNonLoopback = "10.0.0.1:8765", true },
			"reports.bearer_token: a token of at least 16 bytes is required when reports.endpoint \"10.0.0.1:8765\" is not loopback (have 0)"},
		{"public with a one-byte token", func(r *ReportsConfig) {
			r.Endpoint, r.AllowNonLoopback, r.BearerToken = "10.0.0.1:8765", true, "t"
		}, "at least 16 bytes"},
		{"public on every address with 15 bytes", func(r *ReportsConfig) {
			r.Endpoint, r.AllowNonLoopback, r.BearerToken = ":8765", true, longToken[1:]
		}, "(have 15)"},
		{"blank token", func(r *ReportsConfig) {
			r.Endpoint, r.AllowNonLoopback, r.BearerToken = "10.0.0.1:8765", true, "                 "
		}, "reports.bearer_token: must not be blank"},
		{"token with a trailing space", func(r *ReportsConfig) { r.Endpoint, r.BearerToken = "127.0.0.1:8765", longToken+" " },
			"start or end with a space"},
		{"token with a newline", func(r *ReportsConfig) { r.Endpoint, r.BearerToken = "127.0.0.1:8765", "abc\ndef" },
			"control characters"},
		{"every address without allow_non_loopback", func(r *ReportsConfig) { r.Endpoint = ":8765" }, "not a loopback"},
		{"no port", func(r *ReportsConfig) { r.Endpoint = "127.0.0.1" }, "not host:port"},
		{"token without endpoint", func(r *ReportsConfig) { r.BearerToken = "t" }, "without reports.endpoint"},
		{"no query slot", func(r *ReportsConfig) { r.Endpoint, r.MaxConcurrent = "127.0.0.1:8765", 0 }, "reports.max_concurrent: 0 must be 1 to 64"},
		{"negative queue", func(r *ReportsConfig) { r.Endpoint, r.MaxQueued = "127.0.0.1:8765", -1 }, "reports.max_queued: -1"},
		{"no timeout", func(r *ReportsConfig) { r.Endpoint, r.QueryTimeout = "127.0.0.1:8765", 0 }, "reports.query_timeout: 0s must be positive"},
		{"negative cache", func(r *ReportsConfig) { r.Endpoint, r.CacheTTL = "127.0.0.1:8765", -time.Second }, "reports.cache_ttl: -1s"},
		{"no cache", func(r *ReportsConfig) { r.Endpoint, r.CacheTTL = "127.0.0.1:8765", 0 }, ""},
		{"CORS origins", func(r *ReportsConfig) {
			r.Endpoint, r.CORSAllowedOrigins = "127.0.0.1:8765", []string{"https://app.example.com", "http://localhost:3000", "HTTPS://App.Example.com:443"}
		}, ""},
		{"CORS for every origin", func(r *ReportsConfig) { r.Endpoint, r.CORSAllowedOrigins = "127.0.0.1:8765", []string{"*"} },
			`reports.cors_allowed_origins[0]: "*" would let every web page read the reports`},
		{"CORS origin with a path", func(r *ReportsConfig) {
			r.Endpoint, r.CORSAllowedOrigins = "127.0.0.1:8765", []string{"https://app.example.com", "https://app.example.com/"}
		}, `reports.cors_allowed_origins[1]: "https://app.example.com/" is not an origin`},
		{"CORS origin without a scheme", func(r *ReportsConfig) {
			r.Endpoint, r.CORSAllowedOrigins = "127.0.0.1:8765", []string{"app.example.com"}
		},
			"reports.cors_allowed_origins[0]:"},
		{"CORS without endpoint", func(r *ReportsConfig) { r.CORSAllowedOrigins = []string{"https://app.example.com"} },
			"reports.cors_allowed_origins: set without reports.endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := defaultReportsConfig()
			tt.edit(&r)
			err := r.validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("validate: %v, want %q", err, tt.wantErr)
			}
		})
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

func TestValidateArchive(t *testing.T) {
	lakeDir := t.TempDir()
	file := filepath.Join(lakeDir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := ArchiveConfig{Directory: lakeDir, GracePeriod: time.Hour, Interval: time.Minute}
	tests := []struct {
		name    string
		archive func(*ArchiveConfig)
		tables  func(*TablesConfig)
		wantErr string
	}{
		{"off", func(a *ArchiveConfig) { a.Directory = "" }, nil, ""},
		{"on", nil, nil, ""},
		{"an id", func(a *ArchiveConfig) { a.CollectorID = "gateway-0.eu" }, nil, ""},
		{"an id with _", func(a *ArchiveConfig) { a.CollectorID = "gateway_0" }, nil, `archive.collector_id: "gateway_0" is not a collector id`},
		{"the compactor's id", func(a *ArchiveConfig) { a.CollectorID = "compacted" }, nil, "archive.collector_id: \"compacted\" is the name of the lake's compaction"},
		{"an id without a directory", func(a *ArchiveConfig) { a.Directory, a.CollectorID = "", "gw-1" }, nil, "archive.collector_id: set without archive.directory"},
		{"a file", func(a *ArchiveConfig) { a.Directory = file }, nil, "archive.directory: " + strconv.Quote(file) + " is not a directory"},
		{"a week and a day of grace", func(a *ArchiveConfig) { a.GracePeriod = 8 * 24 * time.Hour }, nil, "archive.grace_period: 192h0m0s must be between 0 and 168h0m0s"},
		{"too often", func(a *ArchiveConfig) { a.Interval = time.Millisecond }, nil, "archive.interval: 1ms must be at least 1s"},
		{"renamed tables", nil, func(tc *TablesConfig) { tc.UsageLog = "calls" }, "archive.directory: the archive holds the schema's tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, tables := ok, defaultTables()
			if tt.archive != nil {
				tt.archive(&a)
			}
			if tt.tables != nil {
				tt.tables(&tables)
			}
			err := errors.Join(a.validate(tables)...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCollectorIDIsStableAndPerFile(t *testing.T) {
	var a ArchiveConfig
	one, again, other := a.collectorID("/var/lib/aiusage/a.duckdb"), a.collectorID("/var/lib/aiusage/a.duckdb"), a.collectorID("/var/lib/aiusage/b.duckdb")
	if one != again || one == other {
		t.Errorf("ids %q, %q for the same file and %q for another: want the same twice, another for the other", one, again, other)
	}
	if err := lake.CheckCollectorID(one); err != nil {
		t.Errorf("derived id: %v", err)
	}
	if (ArchiveConfig{CollectorID: "gw-1"}).collectorID("/x") != "gw-1" {
		t.Error("a configured id is not used")
	}
}
