package duckdbexporter

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// Config is the configuration of the duckdb exporter.
type Config struct {
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	configretry.BackOffConfig    `mapstructure:"retry_on_failure"`
	// QueueConfig is the sending queue; with `storage` it survives a crash.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`

	// Path is the DuckDB database file. The exporter holds it exclusively.
	Path string `mapstructure:"path"`
	// MemoryLimit caps DuckDB's memory, in DuckDB's notation ("512MB", "2GB").
	MemoryLimit string `mapstructure:"memory_limit"`
	// Threads caps DuckDB's worker threads; 0 leaves DuckDB's default (one per core).
	Threads int `mapstructure:"threads"`
	// CheckpointThreshold is the write-ahead log size that triggers a checkpoint
	// ("64MB"); larger values trade replay time after a crash for write throughput.
	CheckpointThreshold string `mapstructure:"checkpoint_threshold"`
	// CreateSchema creates and migrates the schema at start. When false the exporter
	// only checks that the operator-managed database is at the schema version it writes.
	CreateSchema bool `mapstructure:"create_schema"`
	// Retention deletes raw rows (spans, metric points, quota snapshots) older than
	// this; the daily roll-up is kept. 0 keeps everything.
	Retention time.Duration `mapstructure:"retention"`
	// RetentionInterval is how often retention runs.
	RetentionInterval time.Duration `mapstructure:"retention_interval"`
	// PricesFile replaces model_prices at start with a table in the prices.csv format.
	// Empty: the embedded table is loaded when model_prices is empty.
	PricesFile string `mapstructure:"prices_file"`
	// AttributeLimits caps the attributes JSON of each span, metric point and resource.
	AttributeLimits AttributeLimitsConfig `mapstructure:"attribute_limits"`
	// Tables names the tables written; the defaults are the schema's.
	Tables TablesConfig `mapstructure:"tables"`
	// Reports serves the report queries over HTTP, since no other process can open the file.
	Reports ReportsConfig `mapstructure:"reports"`
	// Archive writes each sealed UTC day to a Parquet lake that several collectors share.
	Archive ArchiveConfig `mapstructure:"archive"`
	// Budgets watches spending budgets as batches land: logs, metrics, a webhook.
	Budgets BudgetsConfig `mapstructure:"budgets"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// AttributeLimitsConfig caps what one span, metric point or resource puts in its
// attributes JSON column, so that a runaway instrumentation (thousands of attributes)
// cannot bloat rows, batches and the file. Attributes past a limit are left out and
// counted; the attributes that have a typed column are never left out.
type AttributeLimitsConfig struct {
	// MaxCount is the most attributes kept in one attributes JSON.
	MaxCount int `mapstructure:"max_count"`
	// MaxBytes is the largest one attributes JSON may grow.
	MaxBytes int `mapstructure:"max_bytes"`
}

// Bounds of attribute_limits: at least room for one bounded string value, at most what
// a row should ever hold.
const (
	maxAttributeCount = 1 << 16
	minAttributeBytes = 1 << 10
	maxAttributeBytes = 16 << 20
)

func (l AttributeLimitsConfig) limits() attrLimits {
	return attrLimits{maxCount: l.MaxCount, maxBytes: l.MaxBytes}
}

func (l AttributeLimitsConfig) validate() []error {
	var errs []error
	if l.MaxCount < 1 || l.MaxCount > maxAttributeCount {
		errs = append(errs, fmt.Errorf("attribute_limits.max_count: %d must be between 1 and %d", l.MaxCount, maxAttributeCount))
	}
	if l.MaxBytes < minAttributeBytes || l.MaxBytes > maxAttributeBytes {
		errs = append(errs, fmt.Errorf("attribute_limits.max_bytes: %d must be between %d (1 KiB) and %d (16 MiB)", l.MaxBytes, minAttributeBytes, maxAttributeBytes))
	}
	return errs
}

// ReportsConfig configures the report endpoint.
type ReportsConfig struct {
	// Endpoint is the host:port to listen on; empty turns the endpoint off.
	Endpoint string `mapstructure:"endpoint"`
	// BearerToken, when set, is required as "Authorization: Bearer <token>". A
	// non-loopback endpoint needs one of at least queries.MinPublicToken bytes.
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// AllowNonLoopback must be set to listen on an address other than loopback.
	AllowNonLoopback bool `mapstructure:"allow_non_loopback"`
	// CORSAllowedOrigins are the web origins ("https://app.example.com") whose pages may
	// read the reports, as the quota widget in an app's header does; empty (the
	// default) keeps every other origin out.
	CORSAllowedOrigins []string `mapstructure:"cors_allowed_origins"`
	// Limits bound what report clients can take from ingest: max_concurrent,
	// query_time_share, max_queued, query_timeout, cache_ttl, requests_per_second.
	queries.Limits `mapstructure:",squash"`
}

// defaultReportsConfig is the endpoint off, and the bounds it runs with when on.
func defaultReportsConfig() ReportsConfig {
	return ReportsConfig{Endpoint: defaultReportsEndpoint, Limits: queries.DefaultLimits()}
}

var _ component.Config = (*Config)(nil)

// duckdbSize matches DuckDB's memory notation: a number and a unit.
var duckdbSize = regexp.MustCompile(`(?i)^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|bytes)\s*$`)

// Validate reports every invalid field of the configuration, each by its key.
func (cfg *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(cfg.Path) == "" {
		errs = append(errs, errors.New("path: must be set to the DuckDB file to write"))
	} else if strings.HasPrefix(cfg.Path, ":memory:") {
		errs = append(errs, fmt.Errorf("path: %q is not a file; the exporter keeps its data in a file", cfg.Path))
	}
	if !duckdbSize.MatchString(cfg.MemoryLimit) {
		errs = append(errs, fmt.Errorf("memory_limit: %q is not a size such as 512MB or 2GB", cfg.MemoryLimit))
	}
	if cfg.Threads < 0 {
		errs = append(errs, fmt.Errorf("threads: %d must not be negative (0 = DuckDB default)", cfg.Threads))
	}
	if cfg.CheckpointThreshold != "" && !duckdbSize.MatchString(cfg.CheckpointThreshold) {
		errs = append(errs, fmt.Errorf("checkpoint_threshold: %q is not a size such as 64MB", cfg.CheckpointThreshold))
	}
	if cfg.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention: %s must not be negative (0 = keep everything)", cfg.Retention))
	} else if cfg.Retention > 0 && cfg.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("retention: %s is shorter than an hour; raw rows would vanish before anyone reads them", cfg.Retention))
	}
	if cfg.Retention > 0 && cfg.RetentionInterval <= 0 {
		errs = append(errs, fmt.Errorf("retention_interval: %s must be positive when retention is set", cfg.RetentionInterval))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s must not be negative", cfg.Timeout))
	}
	errs = append(errs, cfg.AttributeLimits.validate()...)
	errs = append(errs, cfg.Tables.validate(cfg.CreateSchema, cfg.Reports.Endpoint != "")...)
	if err := cfg.Reports.validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Archive.validate(cfg.Tables)...)
	errs = append(errs, cfg.Budgets.validate(cfg.Tables.renamed())...)
	return errors.Join(errs...)
}

func (r ReportsConfig) validate() error {
	token := string(r.BearerToken)
	if r.Endpoint == "" {
		var errs []error
		if token != "" {
			errs = append(errs, errors.New("reports.bearer_token: set without reports.endpoint"))
		}
		if len(r.CORSAllowedOrigins) > 0 {
			errs = append(errs, errors.New("reports.cors_allowed_origins: set without reports.endpoint"))
		}
		return errors.Join(errs...)
	}
	var errs []error
	host, port, err := net.SplitHostPort(r.Endpoint)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("reports.endpoint: %q is not host:port: %w", r.Endpoint, err))
	case port == "":
		errs = append(errs, fmt.Errorf("reports.endpoint: %q has no port", r.Endpoint))
	case !r.AllowNonLoopback && !queries.IsLoopback(host):
		errs = append(errs, fmt.Errorf("reports.endpoint: %q is not a loopback address; set reports.allow_non_loopback (and a bearer_token) to serve reports beyond this machine", r.Endpoint))
	case !queries.IsLoopback(host) && len(token) < queries.MinPublicToken:
		errs = append(errs, fmt.Errorf("reports.bearer_token: a token of at least %d bytes is required when reports.endpoint %q is not loopback (have %d)", queries.MinPublicToken, r.Endpoint, len(token)))
	}
	if token != "" && (strings.TrimSpace(token) == "" || strings.TrimSpace(token) != token || strings.ContainsFunc(token, unicode.IsControl)) {
		// Header parsing trims surrounding blanks, so such a token could never match.
		errs = append(errs, errors.New("reports.bearer_token: must not be blank, start or end with a space, or hold control characters"))
	}
	for i, o := range r.CORSAllowedOrigins {
		if _, err := console.CheckOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("reports.cors_allowed_origins[%d]: %w", i, err))
		}
	}
	for _, err := range r.Limits.Check() {
		errs = append(errs, fmt.Errorf("reports.%w", err))
	}
	return errors.Join(errs...)
}
