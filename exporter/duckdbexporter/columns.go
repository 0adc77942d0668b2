package duckdbexporter

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// usageColumn is one column of ai_usage_log: its name, the attribute it holds (none for
// what the span itself carries) and its kind, which says how a value becomes the
// column's and the column's DuckDB type.
type usageColumn struct {
	name string
	attr attribute.Key
	kind columnKind
	// alias is another attribute the column takes when attr is absent: the same fact
	// under the name other tools record it (gen_ai.usage.cost for aiusage.cost.usd).
	// A span carrying both fills the column from either; they are equal when we record them.
	alias attribute.Key
}

// usageColumns is the column contract of ai_usage_log, the one place it is written down
// in Go: rows are appended in this order, span attributes are mapped to columns by it,
// and a test holds it against the table the migrations create. The roll-up reads the
// stored rows (queries/rollup.sql), so it needs nothing from here.
//
// A new column is one entry here plus one migration (internal/schema/migrations) that
// adds it, e.g. `{"video_seconds", semconv.UsageVideoSeconds, kindSeconds, ""}` and
// `ALTER TABLE ai_usage_log ADD COLUMN video_seconds DOUBLE;`.
var usageColumns = [...]usageColumn{
	{"trace_id", "", kindTraceID, ""},
	{"span_id", "", kindSpanID, ""},
	{"start_time", "", kindStartTime, ""},
	{"end_time", "", kindEndTime, ""},
	{"day", "", kindDay, ""},
	{"duration_s", "", kindDuration, ""},
	{"service_name", semconv.ServiceName, kindService, ""},
	{"provider", semconv.GenAIProviderName, kindProvider, ""},
	{"operation", semconv.GenAIOperationName, kindString, ""},
	{"request_model", semconv.GenAIRequestModel, kindString, ""},
	{"response_model", semconv.GenAIResponseModel, kindString, ""},
	{"response_id", semconv.GenAIResponseID, kindUnique, ""},
	{"user_id", semconv.UserID, kindString, ""},
	{"project_id", semconv.ProjectID, kindString, ""},
	{"action_type", semconv.ActionType, kindString, ""},
	{"input_tokens", semconv.GenAIUsageInputTokens, kindCount, ""},
	{"output_tokens", semconv.GenAIUsageOutputTokens, kindCount, ""},
	{"cache_read_input_tokens", semconv.GenAIUsageCacheReadInput, kindCount, ""},
	{"reasoning_output_tokens", semconv.GenAIUsageReasoningOutput, kindCount, ""},
	{"streaming", semconv.GenAIRequestStream, kindBool, ""},
	{"time_to_first_chunk_s", semconv.GenAIResponseTimeToFirstChunk, kindSeconds, ""},
	{"finish_reasons", semconv.GenAIResponseFinishReasons, kindStrings, ""},
	{"status_code", semconv.HTTPResponseStatusCode, kindStatus, ""},
	{"error_type", semconv.ErrorType, kindString, ""},
	{"server_address", semconv.ServerAddress, kindString, ""},
	{"requests_limit", semconv.RateLimitRequestsLimit, kindCount, ""},
	{"requests_remaining", semconv.RateLimitRequestsRemaining, kindCount, ""},
	{"requests_reset_s", semconv.RateLimitRequestsReset, kindSeconds, ""},
	{"tokens_limit", semconv.RateLimitTokensLimit, kindCount, ""},
	{"tokens_remaining", semconv.RateLimitTokensRemaining, kindCount, ""},
	{"tokens_reset_s", semconv.RateLimitTokensReset, kindSeconds, ""},
	{"retry_after_s", semconv.RateLimitRetryAfter, kindSeconds, ""},
	{"quota_id", semconv.RateLimitQuotaID, kindString, ""},
	{"cost_usd", semconv.CostUSD, kindCost, semconv.GenAIUsageCost},
	{"cost_status", semconv.CostStatus, kindString, ""},
	{"attributes", "", kindAttributes, ""},
	{"resource_attributes", "", kindResourceAttributes, ""},
	// Migration 0005: the billed units beyond the GenAI totals and the service tiers.
	{"audio_input_tokens", semconv.UsageAudioInputTokens, kindCount, ""},
	{"image_input_tokens", semconv.UsageImageInputTokens, kindCount, ""},
	{"video_input_tokens", semconv.UsageVideoInputTokens, kindCount, ""},
	{"document_input_tokens", semconv.UsageDocumentInputTokens, kindCount, ""},
	{"audio_cache_read_input_tokens", semconv.UsageAudioCacheReadInputTokens, kindCount, ""},
	{"image_cache_read_input_tokens", semconv.UsageImageCacheReadInputTokens, kindCount, ""},
	{"video_cache_read_input_tokens", semconv.UsageVideoCacheReadInputTokens, kindCount, ""},
	{"document_cache_read_input_tokens", semconv.UsageDocumentCacheReadInputTokens, kindCount, ""},
	{"audio_output_tokens", semconv.UsageAudioOutputTokens, kindCount, ""},
	{"image_output_tokens", semconv.UsageImageOutputTokens, kindCount, ""},
	{"video_output_tokens", semconv.UsageVideoOutputTokens, kindCount, ""},
	{"audio_seconds", semconv.UsageAudioSeconds, kindSeconds, ""},
	{"audio_billed_seconds", semconv.UsageAudioBilledSeconds, kindSeconds, ""},
	{"input_characters", semconv.UsageInputCharacters, kindCount, ""},
	{"web_search_queries", semconv.UsageWebSearchQueries, kindCount, ""},
	{"request_service_tier", semconv.RequestServiceTier, kindString, ""},
	{"response_service_tier", semconv.ResponseServiceTier, kindString, ""},
	{"cost_service_tier", semconv.CostServiceTier, kindString, ""},
	{"cost_missing_unit", semconv.CostMissingUnit, kindString, ""},
}

// columnKind is how a column is filled and what DuckDB type it has.
type columnKind uint8

// Kinds filled from one span attribute each.
const (
	kindString   columnKind = iota // VARCHAR of low cardinality (boxed once per batch)
	kindUnique                     // VARCHAR unique per call
	kindProvider                   // the required VARCHAR provider column
	kindCount                      // BIGINT in [0, maxCount]
	kindSeconds                    // DOUBLE in [0, maxSeconds]
	kindCost                       // DOUBLE in [0, maxCostUSD]
	kindBool                       // BOOLEAN
	kindStrings                    // VARCHAR[]
	kindStatus                     // INTEGER HTTP status

	// Kinds the span, its resource or the conversion fills, each for exactly one column.
	kindTraceID            // VARCHAR, hex
	kindSpanID             // VARCHAR, hex
	kindStartTime          // TIMESTAMPTZ, see timestamps.go
	kindEndTime            // TIMESTAMPTZ
	kindDay                // DATE: the UTC day of the start time
	kindDuration           // DOUBLE seconds from start to end
	kindService            // VARCHAR: the resource's service.name
	kindAttributes         // JSON: the span attributes no column took
	kindResourceAttributes // JSON: the resource attributes
	numKinds
)

// sqlType is the DuckDB type of a column of kind k, as DESCRIBE names it.
func (k columnKind) sqlType() string {
	switch k {
	case kindCount:
		return "BIGINT"
	case kindSeconds, kindCost, kindDuration:
		return "DOUBLE"
	case kindBool:
		return "BOOLEAN"
	case kindStrings:
		return "VARCHAR[]"
	case kindStatus:
		return "INTEGER"
	case kindStartTime, kindEndTime:
		return "TIMESTAMP WITH TIME ZONE"
	case kindDay:
		return "DATE"
	case kindAttributes, kindResourceAttributes:
		return "JSON"
	}
	return "VARCHAR"
}

// fromSpanAttribute reports whether columns of kind k take one span attribute.
func (k columnKind) fromSpanAttribute() bool { return k <= kindStatus }

// usageRow is one row of ai_usage_log, in usageColumns order.
type usageRow = [len(usageColumns)]driver.Value

// Derived from usageColumns.
var (
	// usageColumnNames are the column names in append order.
	usageColumnNames = func() []string {
		names := make([]string, len(usageColumns))
		for i, c := range usageColumns {
			names[i] = c.name
		}
		return names
	}()
	// spanColumns maps each span attribute with a column to it; one map lookup per
	// attribute is cheaper than a switch over thirty names.
	spanColumns = func() map[string]columnSpec {
		m := map[string]columnSpec{}
		for i, c := range usageColumns {
			if c.kind.fromSpanAttribute() {
				m[string(c.attr)] = columnSpec{col: i, kind: c.kind}
				if c.alias != "" {
					m[string(c.alias)] = columnSpec{col: i, kind: c.kind, alias: true}
				}
			}
		}
		return m
	}()
	// kindColumn is the column of each kind the span or the conversion fills.
	kindColumn = func() [numKinds]int {
		var at [numKinds]int
		seen := [numKinds]bool{}
		for i, c := range usageColumns {
			if c.kind.fromSpanAttribute() {
				continue
			}
			if seen[c.kind] {
				panic(fmt.Sprintf("usageColumns: %s repeats the kind of %s", c.name, usageColumns[at[c.kind]].name))
			}
			at[c.kind], seen[c.kind] = i, true
		}
		for k := kindTraceID; k < numKinds; k++ {
			if !seen[k] {
				panic(fmt.Sprintf("usageColumns: no column of kind %d", k))
			}
		}
		return at
	}()
	colTraceID            = kindColumn[kindTraceID]
	colSpanID             = kindColumn[kindSpanID]
	colStartTime          = kindColumn[kindStartTime]
	colEndTime            = kindColumn[kindEndTime]
	colDay                = kindColumn[kindDay]
	colDuration           = kindColumn[kindDuration]
	colServiceName        = kindColumn[kindService]
	colAttributes         = kindColumn[kindAttributes]
	colResourceAttributes = kindColumn[kindResourceAttributes]
)

// columnSpec is the column a span attribute fills.
type columnSpec struct {
	col  int
	kind columnKind
	// alias says the attribute is another name of the column's: it fills the column
	// only when the column's own attribute has not.
	alias bool
}

// tableColumn is a column of a table as DuckDB describes it.
type tableColumn struct {
	name, sqlType string
	notNull       bool
}

// describe returns table's columns in order.
func describe(ctx context.Context, db *sql.DB, table string) ([]tableColumn, error) {
	rows, err := db.QueryContext(ctx, `SELECT column_name, data_type, NOT is_nullable::BOOLEAN
FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", table, err)
	}
	defer rows.Close()
	var out []tableColumn
	for rows.Next() {
		var c tableColumn
		if err := rows.Scan(&c.name, &c.sqlType, &c.notNull); err != nil {
			return nil, fmt.Errorf("describe %s: %w", table, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// checkUsageColumns makes sure table has every column of usageColumns, of its type, so
// that a schema the exporter did not create (create_schema: false) fails at start,
// naming the column, rather than at the first batch. Other columns may exist: they
// stay NULL or take their default.
func checkUsageColumns(ctx context.Context, db *sql.DB, table string) error {
	cols, err := describe(ctx, db, table)
	if err != nil {
		return err
	}
	have := map[string]string{}
	for _, c := range cols {
		have[c.name] = c.sqlType
	}
	var errs []error
	for _, c := range usageColumns {
		switch typ, ok := have[c.name]; {
		case !ok:
			errs = append(errs, fmt.Errorf("table %s has no column %s %s", table, c.name, c.kind.sqlType()))
		case typ != c.kind.sqlType():
			errs = append(errs, fmt.Errorf("column %s.%s is %s, not %s", table, c.name, typ, c.kind.sqlType()))
		}
	}
	return errors.Join(errs...)
}
