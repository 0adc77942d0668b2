-- Per-user usage: requests, tokens, cost and last call per user over the last N days.
--
-- Question: who uses the models, how much, and what does it cost, for every user or one?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   days        INTEGER  1..36500  UTC days to cover, ending with to_day (default: 30)
--   to_day      DATE               last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR            only this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR            only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR            only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   user_id                     VARCHAR  user.id ('' for calls without one)
--   requests                    BIGINT   calls
--   errors                      BIGINT   calls that failed (error type set or HTTP status >= 400)
--   input_tokens                BIGINT   input tokens, cached ones included
--   output_tokens               BIGINT   output tokens, reasoning ones included
--   total_tokens                BIGINT   input + output
--   avg_tokens_per_request      DOUBLE   total_tokens / requests
--   cost_usd                    DOUBLE   cost recorded at the calls (NULL: every call unpriced)
--   unpriced_requests           BIGINT   calls with no price in the table (not counted as free)
--   last_seen                   TIMESTAMPTZ  the user's latest call

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE users_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE users_from = getvariable('users_to') - (coalesce(getvariable('days')::INTEGER, 30) - 1);

WITH raw AS (
    SELECT day,
           coalesce(user_id, '') AS user_id,
           count(*) AS requests,
           count(*) FILTER (error_type IS NOT NULL OR status_code >= 400) AS errors,
           coalesce(sum(input_tokens), 0) AS input_tokens,
           coalesce(sum(output_tokens), 0) AS output_tokens,
           CASE WHEN count(*) > count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) THEN coalesce(sum(cost_usd), 0) END AS cost_usd,
           count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) AS unpriced_requests,
           max(start_time) AS last_seen
    FROM ai_usage_log
    WHERE day BETWEEN getvariable('users_from') AND getvariable('users_to')
      AND (getvariable('user_id') IS NULL OR coalesce(user_id, '') = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR coalesce(project_id, '') = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR coalesce(nullif(response_model, ''), nullif(request_model, ''), '') = getvariable('model'))
    GROUP BY ALL
),
kept AS (
    SELECT day, user_id, sum(requests), sum(errors), sum(input_tokens), sum(output_tokens),
           CASE WHEN sum(requests) > sum(unpriced_requests) THEN sum(cost_usd) END,
           sum(unpriced_requests), max(last_seen)
    FROM ai_usage_daily
    WHERE day BETWEEN getvariable('users_from') AND getvariable('users_to')
      AND day NOT IN (SELECT day FROM raw)
      AND (getvariable('user_id') IS NULL OR user_id = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR project_id = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR model = getvariable('model'))
    GROUP BY ALL
)
SELECT user_id,
       sum(requests)::BIGINT AS requests,
       sum(errors)::BIGINT AS errors,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       (sum(input_tokens) + sum(output_tokens))::BIGINT AS total_tokens,
       ((sum(input_tokens) + sum(output_tokens)) / sum(requests))::DOUBLE AS avg_tokens_per_request,
       sum(cost_usd)::DOUBLE AS cost_usd,
       sum(unpriced_requests)::BIGINT AS unpriced_requests,
       max(last_seen) AS last_seen
FROM (SELECT * FROM raw UNION ALL SELECT * FROM kept)
GROUP BY user_id
ORDER BY cost_usd DESC NULLS LAST, total_tokens DESC, user_id;
