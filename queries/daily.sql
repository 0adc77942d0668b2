-- Daily usage: requests, tokens and errors per UTC day, provider and model.
--
-- Question: how much did we use each model, day by day, over a date range?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day    DATE     first UTC day (default: 6 days before to_day)
--   to_day      DATE     last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   day                      DATE     UTC day
--   provider                 VARCHAR  gen_ai.provider.name (groq, gcp.gemini)
--   model                    VARCHAR  response model, else request model
--   requests                 BIGINT   calls
--   errors                   BIGINT   calls that failed (error type set or HTTP status >= 400)
--   rate_limited             BIGINT   calls answered HTTP 429
--   streamed                 BIGINT   streaming calls
--   input_tokens             BIGINT   input tokens, cached ones included
--   output_tokens            BIGINT   output tokens, reasoning ones included
--   cache_read_input_tokens  BIGINT   input tokens served from the provider's cache
--   reasoning_output_tokens  BIGINT   output tokens spent on reasoning
--   cost_usd                 DOUBLE   cost recorded at the calls (NULL: every call unpriced)
--   unpriced_requests        BIGINT   calls with no price in the table (not counted as free)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE daily_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE daily_from = coalesce(getvariable('from_day')::DATE, getvariable('daily_to') - 6);

-- Grouping on the stored model columns first and naming the model per group is cheaper
-- than naming it for every row.
WITH parts AS (
    SELECT day, provider, response_model, request_model,
           count(*) AS requests,
           count(*) FILTER (error_type IS NOT NULL OR status_code >= 400) AS errors,
           count(*) FILTER (status_code = 429) AS rate_limited,
           count(*) FILTER (streaming) AS streamed,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cache_read_input_tokens) AS cache_read_input_tokens, sum(reasoning_output_tokens) AS reasoning_output_tokens,
           sum(cost_usd) AS cost_usd,
           count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) AS unpriced_requests
    FROM ai_usage_log
    WHERE day BETWEEN getvariable('daily_from') AND getvariable('daily_to')
      AND (getvariable('user_id') IS NULL OR coalesce(user_id, '') = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR coalesce(project_id, '') = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR coalesce(nullif(response_model, ''), nullif(request_model, ''), '') = getvariable('model'))
    GROUP BY ALL
),
raw AS (
    SELECT day, provider, coalesce(nullif(response_model, ''), nullif(request_model, ''), '') AS model,
           sum(requests) AS requests, sum(errors) AS errors, sum(rate_limited) AS rate_limited, sum(streamed) AS streamed,
           coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
           coalesce(sum(cache_read_input_tokens), 0) AS cache_read_input_tokens,
           coalesce(sum(reasoning_output_tokens), 0) AS reasoning_output_tokens,
           CASE WHEN sum(requests) > sum(unpriced_requests) THEN coalesce(sum(cost_usd), 0) END AS cost_usd,
           sum(unpriced_requests) AS unpriced_requests
    FROM parts GROUP BY ALL
),
kept AS (
    SELECT day, provider, model,
           sum(requests), sum(errors), sum(rate_limited), sum(streamed),
           sum(input_tokens), sum(output_tokens), sum(cache_read_input_tokens), sum(reasoning_output_tokens),
           CASE WHEN sum(requests) > sum(unpriced_requests) THEN sum(cost_usd) END,
           sum(unpriced_requests)
    FROM ai_usage_daily
    WHERE day BETWEEN getvariable('daily_from') AND getvariable('daily_to')
      AND day NOT IN (SELECT day FROM raw)
      AND (getvariable('user_id') IS NULL OR user_id = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR project_id = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR model = getvariable('model'))
    GROUP BY ALL
)
SELECT day, provider, model,
       requests::BIGINT AS requests, errors::BIGINT AS errors, rate_limited::BIGINT AS rate_limited,
       streamed::BIGINT AS streamed, input_tokens::BIGINT AS input_tokens, output_tokens::BIGINT AS output_tokens,
       cache_read_input_tokens::BIGINT AS cache_read_input_tokens,
       reasoning_output_tokens::BIGINT AS reasoning_output_tokens,
       cost_usd::DOUBLE AS cost_usd, unpriced_requests::BIGINT AS unpriced_requests
FROM (SELECT * FROM raw UNION ALL SELECT * FROM kept)
ORDER BY day, provider, model;
