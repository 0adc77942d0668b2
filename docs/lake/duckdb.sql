-- Read the aiusage lake from any DuckDB 1.5 client: one view per table over the files
-- the manifest lists, each row once. Set the lake directory (or a mounted bucket) first:
--
--   SET VARIABLE lake = '/var/lib/aiusage/lake';
--   .read docs/lake/duckdb.sql
--   SELECT day, sum(input_tokens) FROM ai_usage_log GROUP BY day ORDER BY day;
--
-- `aiusage report NAME --lake DIR` builds the same views for every table and runs the
-- report files over them, with the schema's pricing macros (ai_usage_priced) that the
-- cost reports call; these views are for an analyst's own queries. A file is complete
-- once a manifest lists it; compaction lists the files a merged one replaces. The views
-- read the files listed when this script ran (a table function takes no subquery, so
-- the lists are variables): run it again to take in newer days.

CREATE OR REPLACE TABLE lake_manifest AS
SELECT * FROM read_parquet(getvariable('lake') || '/_manifest/*/*.parquet',
                           hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true);

CREATE OR REPLACE TABLE lake_files AS
SELECT table_name, file, getvariable('lake') || '/' || file AS path, written_at
FROM lake_manifest
WHERE file NOT IN (SELECT unnest(replaces) FROM lake_manifest);

SET VARIABLE lake_ai_usage_log = (SELECT list(path) FROM lake_files WHERE table_name = 'ai_usage_log');
SET VARIABLE lake_ai_usage_daily = (SELECT list(path) FROM lake_files WHERE table_name = 'ai_usage_daily');
SET VARIABLE lake_ai_quota_snapshot = (SELECT list(path) FROM lake_files WHERE table_name = 'ai_quota_snapshot');
SET VARIABLE lake_model_prices = (SELECT max_by(path, written_at) FROM lake_files WHERE table_name = 'model_prices');

-- One row per call, deduplicated on its span id.
CREATE OR REPLACE VIEW ai_usage_log AS
SELECT * FROM read_parquet(getvariable('lake_ai_usage_log'),
                           hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY day, trace_id, span_id) = 1;

-- The daily roll-up: the parts written by each collector's runs, added up per key.
CREATE OR REPLACE VIEW ai_usage_daily AS
SELECT day, provider, model, service_name, user_id, project_id, action_type,
       sum(requests)::BIGINT AS requests, sum(errors)::BIGINT AS errors,
       sum(rate_limited)::BIGINT AS rate_limited, sum(streamed)::BIGINT AS streamed,
       sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
       sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
       sum(reasoning_output_tokens)::BIGINT AS reasoning_output_tokens,
       sum(cost_usd) AS cost_usd, sum(unpriced_requests)::BIGINT AS unpriced_requests,
       sum(duration_s) AS duration_s, max(last_seen) AS last_seen
FROM read_parquet(getvariable('lake_ai_usage_daily'),
                  hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true)
GROUP BY ALL;

-- Quota readings; a reading completed after it was first archived is in a newer file.
CREATE OR REPLACE VIEW ai_quota_snapshot AS
SELECT s.* EXCLUDE (day, filename) FROM read_parquet(
    getvariable('lake_ai_quota_snapshot'),
    hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true, filename = true) AS s
JOIN lake_files AS f ON f.path = s.filename
QUALIFY row_number() OVER (PARTITION BY time, service_name, provider, model, resource, "window", source
                           ORDER BY f.written_at DESC) = 1;

-- The metric tables (ai_metric_gauge, _sum, _histogram, _exponential_histogram,
-- _summary) read the same way, each point once: QUALIFY row_number() OVER (PARTITION
-- BY point_hash) = 1. A view over a table the lake holds no file of yet fails: the
-- reports' views (aiusage report --lake) fall back to the empty table.

-- The price table: the one written last.
CREATE OR REPLACE VIEW model_prices AS
SELECT * FROM read_parquet(getvariable('lake_model_prices'));
