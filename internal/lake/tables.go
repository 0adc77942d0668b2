// Package lake is the aiusage Parquet lake: the sealed UTC days of the DuckDB tables,
// written by any number of collectors as hive-partitioned Parquet files under one root
// directory, a manifest that says which files are complete, and the views that let the
// report queries of package queries run over all of it unchanged.
//
// Layout under the root:
//
//	ai_usage_log/day=2026-12-01/<collector-id>_<uuid>.parquet   a table's rows of a UTC day
//	model_prices/<collector-id>_<uuid>.parquet                  a price table, whole
//	_manifest/day=2026-12-01/<collector-id>_<run-id>.parquet     the files one run wrote
//	_staging/<collector-id>/...                                  files being written
//
// A data file is complete, final and immutable once a manifest file lists it; a file no
// manifest lists is being written, or was left by a crash and is removed by the
// collector that wrote it when it restarts. Compaction lists a merged file in a new
// manifest with the files it replaces, and only then deletes those. Names starting
// with _ or . are hidden from Hive-style readers.
package lake

import "slices"

// Table is one table of the aiusage schema as the lake holds it. The columns come from
// the table itself (DuckDB's COPY writes them), never from here.
type Table struct {
	// Name is the schema's table name and the table's directory under the root.
	Name string
	// Time is the column that dates a row: the newest value is in the manifest, and for
	// a table without a day column its UTC day is the partition. "" for a table kept
	// whole (model_prices).
	Time string
	// HasDay says the table has its own day column, the partition; otherwise the day is
	// only in the path.
	HasDay bool
	// Key is what identifies a row across files; readers keep one row per key. Nil for
	// a table kept whole.
	Key []string
	// Keep says which row of a key readers keep.
	Keep Keep
}

// Keep is how readers combine the rows of one key found in several files.
type Keep uint8

const (
	// KeepAny keeps any one row: copies are identical (a span or point delivered twice).
	KeepAny Keep = iota
	// KeepNewest keeps the row of the newest file: the row was merged in place after
	// an earlier file had it (a quota reading whose values arrived in two batches).
	KeepNewest
	// KeepSum adds the rows up: each file holds a part (the daily roll-up of the calls
	// that file's run archived).
	KeepSum
	// KeepNewestFile keeps the newest file's rows only (the price table).
	KeepNewestFile
)

// Well-known names.
const (
	UsageLog      = "ai_usage_log"
	Daily         = "ai_usage_daily"
	QuotaSnapshot = "ai_quota_snapshot"
	Prices        = "model_prices"
)

// Tables are the tables the lake holds, in the order a collector archives them.
var Tables = []Table{
	{Name: UsageLog, Time: "start_time", HasDay: true, Key: []string{"trace_id", "span_id"}, Keep: KeepAny},
	{Name: QuotaSnapshot, Time: "time", Key: []string{"time", "service_name", "provider", "model", "resource", "window", "source"}, Keep: KeepNewest},
	{Name: "ai_metric_gauge", Time: "time", Key: []string{"point_hash"}, Keep: KeepAny},
	{Name: "ai_metric_sum", Time: "time", Key: []string{"point_hash"}, Keep: KeepAny},
	{Name: "ai_metric_histogram", Time: "time", Key: []string{"point_hash"}, Keep: KeepAny},
	{Name: "ai_metric_exponential_histogram", Time: "time", Key: []string{"point_hash"}, Keep: KeepAny},
	{Name: "ai_metric_summary", Time: "time", Key: []string{"point_hash"}, Keep: KeepAny},
	{Name: Daily, Time: "last_seen", HasDay: true,
		Key: []string{"day", "provider", "model", "service_name", "user_id", "project_id", "action_type"}, Keep: KeepSum},
	{Name: Prices, Keep: KeepNewestFile},
}

// Lookup returns the table called name.
func Lookup(name string) (Table, bool) {
	i := slices.IndexFunc(Tables, func(t Table) bool { return t.Name == name })
	if i < 0 {
		return Table{}, false
	}
	return Tables[i], true
}

// Daily reports whether the table is partitioned by UTC day.
func (t Table) Daily() bool { return t.Time != "" }
