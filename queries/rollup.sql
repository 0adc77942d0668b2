-- Roll-up: rebuild ai_usage_daily for a range of UTC days from the raw rows.
--
-- Question: make the daily roll-up agree with ai_usage_log for these days.
--   Only days that still have raw rows are rebuilt, so a range reaching past retention
--   never erases history the roll-up alone still holds. The duckdb exporter applies the
--   rule below to every batch it writes, so this rebuild is a repair step. The roll-up
--   keeps every billed unit, the tier each call was served in and the prompt-size tier
--   it reached (of the tiers model_prices has when it is rolled up), so that the reports
--   reprice days only the roll-up holds as they price raw days.
--
-- Writes: ai_usage_daily
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day  DATE  first UTC day (default: 6 days before to_day)
--   to_day    DATE  last UTC day, inclusive (default: today, UTC)
--
-- Columns:
--   day       DATE    UTC day rebuilt
--   requests  BIGINT  calls the day's roll-up now counts
--   groups    BIGINT  roll-up rows of the day (day x provider x model x served tier x prompt-size tier x
--                     service x user x project x action)

BEGIN TRANSACTION;

CREATE OR REPLACE TEMP TABLE rollup_days AS
SELECT DISTINCT day
FROM ai_usage_log
WHERE day BETWEEN coalesce(getvariable('from_day')::DATE,
                           coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE) - 6)
              AND coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);

DELETE FROM ai_usage_daily WHERE day IN (SELECT day FROM rollup_days);

CREATE OR REPLACE TEMP VIEW rollup_rows AS
SELECT * FROM ai_usage_log WHERE day IN (SELECT day FROM rollup_days);

-- The roll-up rule: adds the calls of rollup_rows to ai_usage_daily. The duckdb exporter
-- runs this same statement in every batch's transaction, over the rows the batch
-- appended, so the roll-up it keeps and this rebuild agree by construction.
INSERT INTO ai_usage_daily AS daily BY NAME
SELECT day,
       provider,
       ai_call_model(response_model, request_model) AS model,
       ai_served_tier(response_service_tier, request_service_tier) AS service_tier,
       ai_input_tier(input_tokens) AS input_tier,
       coalesce(service_name, '') AS service_name,
       coalesce(user_id, '') AS user_id,
       coalesce(project_id, '') AS project_id,
       coalesce(action_type, '') AS action_type,
       count(*) AS requests,
       count(*) FILTER (error_type IS NOT NULL OR status_code >= 400) AS errors,
       count(*) FILTER (status_code = 429) AS rate_limited,
       count(*) FILTER (streaming) AS streamed,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(cache_read_input_tokens), 0) AS cache_read_input_tokens,
       coalesce(sum(reasoning_output_tokens), 0) AS reasoning_output_tokens,
       coalesce(sum(audio_input_tokens), 0) AS audio_input_tokens,
       coalesce(sum(image_input_tokens), 0) AS image_input_tokens,
       coalesce(sum(video_input_tokens), 0) AS video_input_tokens,
       coalesce(sum(document_input_tokens), 0) AS document_input_tokens,
       coalesce(sum(audio_cache_read_input_tokens), 0) AS audio_cache_read_input_tokens,
       coalesce(sum(image_cache_read_input_tokens), 0) AS image_cache_read_input_tokens,
       coalesce(sum(video_cache_read_input_tokens), 0) AS video_cache_read_input_tokens,
       coalesce(sum(document_cache_read_input_tokens), 0) AS document_cache_read_input_tokens,
       coalesce(sum(audio_output_tokens), 0) AS audio_output_tokens,
       coalesce(sum(image_output_tokens), 0) AS image_output_tokens,
       coalesce(sum(video_output_tokens), 0) AS video_output_tokens,
       coalesce(sum(audio_seconds), 0) AS audio_seconds,
       sum(ai_audio_billed_seconds(audio_billed_seconds, audio_seconds)) AS audio_billed_seconds,
       coalesce(sum(input_characters), 0) AS input_characters,
       coalesce(sum(web_search_queries), 0) AS web_search_queries,
       count(*) FILTER (web_search_queries > 0) AS web_search_requests,
       count(*) FILTER (input_tokens IS NULL AND error_type IS NULL AND NOT ai_free_operation(operation)) AS no_usage_requests,
       count(*) FILTER (input_tokens IS NULL AND (error_type IS NOT NULL OR ai_free_operation(operation))) AS unbilled_requests,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) AS unpriced_requests,
       coalesce(sum(duration_s), 0) AS duration_s,
       max(start_time) AS last_seen
FROM rollup_rows
GROUP BY ALL
ON CONFLICT (day, provider, model, service_tier, input_tier, service_name, user_id, project_id, action_type) DO UPDATE SET
    requests                         = daily.requests + excluded.requests,
    errors                           = daily.errors + excluded.errors,
    rate_limited                     = daily.rate_limited + excluded.rate_limited,
    streamed                         = daily.streamed + excluded.streamed,
    input_tokens                     = daily.input_tokens + excluded.input_tokens,
    output_tokens                    = daily.output_tokens + excluded.output_tokens,
    cache_read_input_tokens          = daily.cache_read_input_tokens + excluded.cache_read_input_tokens,
    reasoning_output_tokens          = daily.reasoning_output_tokens + excluded.reasoning_output_tokens,
    audio_input_tokens               = daily.audio_input_tokens + excluded.audio_input_tokens,
    image_input_tokens               = daily.image_input_tokens + excluded.image_input_tokens,
    video_input_tokens               = daily.video_input_tokens + excluded.video_input_tokens,
    document_input_tokens            = daily.document_input_tokens + excluded.document_input_tokens,
    audio_cache_read_input_tokens    = daily.audio_cache_read_input_tokens + excluded.audio_cache_read_input_tokens,
    image_cache_read_input_tokens    = daily.image_cache_read_input_tokens + excluded.image_cache_read_input_tokens,
    video_cache_read_input_tokens    = daily.video_cache_read_input_tokens + excluded.video_cache_read_input_tokens,
    document_cache_read_input_tokens = daily.document_cache_read_input_tokens + excluded.document_cache_read_input_tokens,
    audio_output_tokens              = daily.audio_output_tokens + excluded.audio_output_tokens,
    image_output_tokens              = daily.image_output_tokens + excluded.image_output_tokens,
    video_output_tokens              = daily.video_output_tokens + excluded.video_output_tokens,
    audio_seconds                    = daily.audio_seconds + excluded.audio_seconds,
    audio_billed_seconds             = daily.audio_billed_seconds + excluded.audio_billed_seconds,
    input_characters                 = daily.input_characters + excluded.input_characters,
    web_search_queries               = daily.web_search_queries + excluded.web_search_queries,
    web_search_requests              = daily.web_search_requests + excluded.web_search_requests,
    no_usage_requests                = daily.no_usage_requests + excluded.no_usage_requests,
    unbilled_requests                = daily.unbilled_requests + excluded.unbilled_requests,
    cost_usd                         = daily.cost_usd + excluded.cost_usd,
    unpriced_requests                = daily.unpriced_requests + excluded.unpriced_requests,
    duration_s                       = daily.duration_s + excluded.duration_s,
    last_seen                        = greatest(daily.last_seen, excluded.last_seen);

COMMIT;

SELECT day, sum(requests)::BIGINT AS requests, count(*)::BIGINT AS groups
FROM ai_usage_daily
WHERE day IN (SELECT day FROM rollup_days)
GROUP BY day
ORDER BY day;
