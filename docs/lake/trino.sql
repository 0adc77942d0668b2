-- Read the aiusage lake from Trino's Hive connector (Presto, Athena and Spark read the
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

CREATE TABLE IF NOT EXISTS hive.aiusage.ai_usage_log (
    trace_id varchar,
    span_id varchar,
    start_time timestamp(6),
    end_time timestamp(6),
    duration_s double,
    service_name varchar,
    provider varchar,
    operation varchar,
    request_model varchar,
    response_model varchar,
    response_id varchar,
    user_id varchar,
    project_id varchar,
    action_type varchar,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_input_tokens bigint,
    reasoning_output_tokens bigint,
    streaming boolean,
    time_to_first_chunk_s double,
    finish_reasons array(varchar),
    status_code integer,
    error_type varchar,
    server_address varchar,
    requests_limit bigint,
    requests_remaining bigint,
    requests_reset_s double,
    tokens_limit bigint,
    tokens_remaining bigint,
    tokens_reset_s double,
    retry_after_s double,
    quota_id varchar,
    cost_usd double,
    cost_status varchar,
    attributes varchar,
    resource_attributes varchar,
    audio_input_tokens bigint,
    image_input_tokens bigint,
    video_input_tokens bigint,
    document_input_tokens bigint,
    audio_cache_read_input_tokens bigint,
    image_cache_read_input_tokens bigint,
    video_cache_read_input_tokens bigint,
    document_cache_read_input_tokens bigint,
    audio_output_tokens bigint,
    image_output_tokens bigint,
    video_output_tokens bigint,
    audio_seconds double,
    audio_billed_seconds double,
    input_characters bigint,
    web_search_queries bigint,
    request_service_tier varchar,
    response_service_tier varchar,
    cost_service_tier varchar,
    cost_missing_unit varchar,
    day date
) WITH (external_location = 's3://BUCKET/aiusage-lake/ai_usage_log', format = 'PARQUET', partitioned_by = ARRAY['day']);
CALL hive.system.sync_partition_metadata('aiusage', 'ai_usage_log', 'ADD');

CREATE TABLE IF NOT EXISTS hive.aiusage.ai_usage_daily (
    provider varchar,
    model varchar,
    service_tier varchar,
    input_tier bigint,
    service_name varchar,
    user_id varchar,
    project_id varchar,
    action_type varchar,
    requests bigint,
    errors bigint,
    rate_limited bigint,
    streamed bigint,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_input_tokens bigint,
    reasoning_output_tokens bigint,
    audio_input_tokens bigint,
    image_input_tokens bigint,
    video_input_tokens bigint,
    document_input_tokens bigint,
    audio_cache_read_input_tokens bigint,
    image_cache_read_input_tokens bigint,
    video_cache_read_input_tokens bigint,
    document_cache_read_input_tokens bigint,
    audio_output_tokens bigint,
    image_output_tokens bigint,
    video_output_tokens bigint,
    audio_seconds double,
    audio_billed_seconds double,
    input_characters bigint,
    web_search_queries bigint,
    web_search_requests bigint,
    no_usage_requests bigint,
    unbilled_requests bigint,
    cost_usd double,
    unpriced_requests bigint,
    duration_s double,
    last_seen timestamp(6),
    day date
) WITH (external_location = 's3://BUCKET/aiusage-lake/ai_usage_daily', format = 'PARQUET', partitioned_by = ARRAY['day']);
CALL hive.system.sync_partition_metadata('aiusage', 'ai_usage_daily', 'ADD');

CREATE TABLE IF NOT EXISTS hive.aiusage.ai_quota_snapshot (
    time timestamp(6),
    service_name varchar,
    provider varchar,
    model varchar,
    resource varchar,
    "window" varchar,
    source varchar,
    "limit" double,
    remaining double,
    utilization double,
    day date
) WITH (external_location = 's3://BUCKET/aiusage-lake/ai_quota_snapshot', format = 'PARQUET', partitioned_by = ARRAY['day']);
CALL hive.system.sync_partition_metadata('aiusage', 'ai_quota_snapshot', 'ADD');

CREATE TABLE IF NOT EXISTS hive.aiusage.model_prices (
    provider varchar,
    model varchar,
    service_tier varchar,
    min_input_tokens bigint,
    unit varchar,
    usd double,
    per double,
    min_billed double,
    effective_from date,
    effective_to date,
    checked date,
    source varchar
) WITH (external_location = 's3://BUCKET/aiusage-lake/model_prices', format = 'PARQUET');

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
