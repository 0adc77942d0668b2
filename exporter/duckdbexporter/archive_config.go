package duckdbexporter

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aiusage/aiusage/internal/lake"
)

// ArchiveConfig configures the Parquet archive of sealed UTC days: the lake that any
// number of collectors write into and `aiusage report --lake` reads.
type ArchiveConfig struct {
	// Directory is the lake's root directory, shared by every collector that archives
	// into it; empty turns the archive off.
	Directory string `mapstructure:"directory"`
	// CollectorID names this collector's files in the lake; each collector writing
	// into one directory needs its own. Empty: the host name and a hash of the DuckDB
	// file's path, stable across restarts.
	CollectorID string `mapstructure:"collector_id"`
	// GracePeriod is how long after a UTC day ends it is sealed and archived: spans of
	// the day that arrive later go out as an extra file of the day.
	GracePeriod time.Duration `mapstructure:"grace_period"`
	// Interval is how often the archive looks for sealed days and late rows.
	Interval time.Duration `mapstructure:"interval"`
}

// Bounds of the archive's durations.
const (
	maxArchiveGrace    = 7 * 24 * time.Hour
	minArchiveInterval = time.Second
)

func (a ArchiveConfig) enabled() bool { return strings.TrimSpace(a.Directory) != "" }

func (a ArchiveConfig) validate(tables TablesConfig) []error {
	if !a.enabled() {
		if a.CollectorID != "" {
			return []error{errors.New("archive.collector_id: set without archive.directory")}
		}
		return nil
	}
	var errs []error
	if a.CollectorID != "" {
		if err := lake.CheckCollectorID(a.CollectorID); err != nil {
			errs = append(errs, fmt.Errorf("archive.collector_id: %w", err))
		}
	}
	if a.GracePeriod < 0 || a.GracePeriod > maxArchiveGrace {
		errs = append(errs, fmt.Errorf("archive.grace_period: %s must be between 0 and %s", a.GracePeriod, maxArchiveGrace))
	}
	if a.Interval < minArchiveInterval {
		errs = append(errs, fmt.Errorf("archive.interval: %s must be at least %s", a.Interval, minArchiveInterval))
	}
	if tables.renamed() {
		errs = append(errs, errors.New("archive.directory: the archive holds the schema's tables; renamed tables (tables.*) cannot be archived"))
	}
	if st, err := os.Stat(a.Directory); err == nil && !st.IsDir() {
		errs = append(errs, fmt.Errorf("archive.directory: %q is not a directory", a.Directory))
	}
	return errs
}

// collectorID is the configured id, or one derived from the host name and the DuckDB
// file's absolute path: stable across restarts, and different for two collectors on
// one host.
func (a ArchiveConfig) collectorID(dbPath string) string {
	if a.CollectorID != "" {
		return a.CollectorID
	}
	host, _ := os.Hostname()
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.' && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), ".-")
	if len(name) > 48 {
		name = strings.Trim(name[:48], ".-")
	}
	if name == "" {
		name = "collector"
	}
	sum := sha256.Sum256([]byte(dbPath))
	return name + "-" + hex.EncodeToString(sum[:4])
}
