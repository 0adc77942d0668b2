-- Roll-up: rebuild ai_usage_daily for a range of UTC days from the raw rows.
--
-- Question: make the daily roll-up agree with ai_usage_log for these days.
--   Only days that still have raw rows are rebuilt, so a range reaching past retention
--   never erases history the roll-up alone still holds.
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
--   groups    BIGINT  roll-up rows of the day (day x provider x model x service x user x project x action)

BEGIN TRANSACTION;

CREATE OR REPLACE TEMP TABLE rollup_days AS
SELECT DISTINCT day
FROM ai_usage_log
WHERE day BETWEEN coalesce(getvariable('from_day')::DATE,
                           coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE) - 6)
              AND coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);

DELETE FROM ai_usage_daily WHERE day IN (SELECT day FROM rollup_days);

INSERT INTO ai_usage_daily
SELECT day,
       provider,
       coalesce(nullif(response_model, ''), nullif(request_model, ''), '') AS model,
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
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) AS unpriced_requests,
       coalesce(sum(duration_s), 0) AS duration_s,
       max(start_time) AS last_seen
FROM ai_usage_log
WHERE day IN (SELECT day FROM rollup_days)
GROUP BY ALL;

COMMIT;

SELECT day, sum(requests)::BIGINT AS requests, count(*)::BIGINT AS groups
FROM ai_usage_daily
WHERE day IN (SELECT day FROM rollup_days)
GROUP BY day
ORDER BY day;
