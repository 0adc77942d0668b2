package lake

import (
	"context"
	"os"
	"strings"
	"testing"
)

// trinoTables are the tables docs/lake/trino.sql declares: those the reports read.
var trinoTables = []string{UsageLog, Daily, QuotaSnapshot, Prices}

// trinoType is the Trino (Hive connector) type of a DuckDB column type in the files.
func trinoType(duckdb string) string {
	switch duckdb {
	case "VARCHAR", "JSON":
		return "varchar"
	case "BIGINT":
		return "bigint"
	case "INTEGER":
		return "integer"
	case "DOUBLE":
		return "double"
	case "BOOLEAN":
		return "boolean"
	case "DATE":
		return "date"
	case "TIMESTAMP WITH TIME ZONE":
		return "timestamp(6)" // stored adjusted to UTC; the Hive connector reads it as UTC
	case "VARCHAR[]":
		return "array(varchar)"
	}
	return "unknown(" + duckdb + ")"
}

// TestTrinoDDLIsTheSchemas holds the column lists of docs/lake/trino.sql against the
// schema migrations, the one place the columns are written down: the file is
// generated from them (AIUSAGE_UPDATE_DDL=1 rewrites it).
func TestTrinoDDLIsTheSchemas(t *testing.T) {
	l := openLake(t, t.TempDir())
	var b strings.Builder
	b.WriteString(trinoHeader)
	for _, name := range trinoTables {
		tb, _ := Lookup(name)
		cols, err := l.templateColumns(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("\nCREATE TABLE IF NOT EXISTS hive.aiusage." + name + " (\n")
		var lines []string
		for _, c := range cols {
			if c.name == "day" {
				continue // the partition, last
			}
			lines = append(lines, "    "+quoteTrino(c.name)+" "+trinoType(c.typ))
		}
		with := "external_location = 's3://BUCKET/aiusage-lake/" + name + "', format = 'PARQUET'"
		if tb.Daily() {
			lines = append(lines, "    day date")
			with += ", partitioned_by = ARRAY['day']"
		}
		b.WriteString(strings.Join(lines, ",\n") + "\n) WITH (" + with + ");\n")
		if tb.Daily() {
			b.WriteString("CALL hive.system.sync_partition_metadata('aiusage', '" + name + "', 'ADD');\n")
		}
	}
	b.WriteString(trinoFooter)
	want := b.String()
	got, err := os.ReadFile("../../docs/lake/trino.sql")
	if os.Getenv("AIUSAGE_UPDATE_DDL") != "" {
		if err := os.WriteFile("../../docs/lake/trino.sql", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil || string(got) != want {
		t.Errorf("docs/lake/trino.sql is not the schema's (run with AIUSAGE_UPDATE_DDL=1); want:\n%s", want)
	}
}

func quoteTrino(name string) string {
	switch name {
	case "window", "limit":
		return `"` + name + `"`
	}
	return name
}

const trinoHeader = `-- Read the aiusage lake from Trino's Hive connector (Presto, Athena and Spark read the
-- same layout): one external table per table the reports read, partitioned by day.
-- Replace s3://BUCKET/aiusage-lake with where the lake is synced; run
-- sync_partition_metadata again after new days arrive (or schedule it).
-- Generated from the schema migrations by internal/lake/trino_test.go: do not edit the
-- column lists by hand. Not run here (no Trino on the build machines).
--
-- The files hold each call once per collector; a call two gateways both stored (a
-- retry across a gateway's crash) is in two files: read through the views at the end,
-- which keep one row per span id and add up the roll-up's parts.

CREATE SCHEMA IF NOT EXISTS hive.aiusage WITH (location = 's3://BUCKET/aiusage-lake/');
`

const trinoFooter = `
CREATE OR REPLACE VIEW hive.aiusage.calls AS
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY day, trace_id, span_id) AS copy
    FROM hive.aiusage.ai_usage_log
) WHERE copy = 1;

CREATE OR REPLACE VIEW hive.aiusage.daily AS
SELECT day, provider, model, service_name, user_id, project_id, action_type,
       sum(requests) AS requests, sum(errors) AS errors, sum(rate_limited) AS rate_limited,
       sum(streamed) AS streamed, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_read_input_tokens) AS cache_read_input_tokens,
       sum(reasoning_output_tokens) AS reasoning_output_tokens, sum(cost_usd) AS cost_usd,
       sum(unpriced_requests) AS unpriced_requests, sum(duration_s) AS duration_s, max(last_seen) AS last_seen
FROM hive.aiusage.ai_usage_daily
GROUP BY day, provider, model, service_name, user_id, project_id, action_type;

-- Tokens and cost per day and model:
-- SELECT day, provider, coalesce(response_model, request_model) AS model, count(*) AS requests,
--        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
-- FROM hive.aiusage.calls GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
`
