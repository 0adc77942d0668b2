-- Read the aiusage lake from ClickHouse (24.8 or later, for use_hive_partitioning; in
-- its first releases the partition column is the virtual _day, not day) with the s3 table function, or
-- file() for a copy on the server's disk (under its user_files_path). The Parquet files
-- carry their schema, so no column is declared here; use_hive_partitioning gives the
-- day from the path. Replace https://BUCKET.ENDPOINT/aiusage-lake with the bucket's
-- URL (add the access key and secret as the 2nd and 3rd arguments, or a named
-- collection). Not run here: the build machines have no ClickHouse (Debian ships only
-- 18.16, older than hive partitioning).
--
-- Only files a manifest lists are complete: a strict sync job copies only those
-- (docs/lake/README.md). These views glob the bucket, so they also see the files a
-- compaction replaced until the sync deletes them: calls keeps one row per span id
-- (a call two gateways both stored is in two files too); daily would count such a
-- day twice in that window.

CREATE DATABASE IF NOT EXISTS aiusage;

CREATE OR REPLACE VIEW aiusage.calls AS
SELECT *
FROM s3('https://BUCKET.ENDPOINT/aiusage-lake/ai_usage_log/day=*/*.parquet', 'Parquet')
LIMIT 1 BY day, trace_id, span_id
SETTINGS use_hive_partitioning = 1;

CREATE OR REPLACE VIEW aiusage.daily AS
SELECT day, provider, model, service_name, user_id, project_id, action_type,
       sum(requests) AS requests, sum(errors) AS errors, sum(rate_limited) AS rate_limited,
       sum(streamed) AS streamed, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_read_input_tokens) AS cache_read_input_tokens,
       sum(reasoning_output_tokens) AS reasoning_output_tokens, sum(cost_usd) AS cost_usd,
       sum(unpriced_requests) AS unpriced_requests, sum(duration_s) AS duration_s, max(last_seen) AS last_seen
FROM s3('https://BUCKET.ENDPOINT/aiusage-lake/ai_usage_daily/day=*/*.parquet', 'Parquet')
GROUP BY day, provider, model, service_name, user_id, project_id, action_type
SETTINGS use_hive_partitioning = 1;

CREATE OR REPLACE VIEW aiusage.manifest AS
SELECT *
FROM s3('https://BUCKET.ENDPOINT/aiusage-lake/_manifest/day=*/*.parquet', 'Parquet')
SETTINGS use_hive_partitioning = 1;

-- The same from a copy on the server: file('aiusage-lake/ai_usage_log/day=*/*.parquet', 'Parquet').
-- Tokens and cost per day and model:
-- SELECT day, provider, if(response_model != '', response_model, request_model) AS model, count() AS requests,
--        sum(input_tokens), sum(output_tokens), sum(cost_usd)
-- FROM aiusage.calls GROUP BY day, provider, model ORDER BY day, provider, model;
