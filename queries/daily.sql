-- Daily usage: requests, tokens, errors and cost per UTC day, provider and model.
--
-- Question: how much did we use each model, day by day, over a date range, and what did it cost?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up. Cost is
--   priced from model_prices as it stood on each day (see the cost report), so a corrected
--   price table reprices past days; the cost recorded on each call stays in ai_usage_log.
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
--   provider                 VARCHAR  gen_ai.provider.name (groq, gcp.gemini, gcp.vertex_ai)
--   model                    VARCHAR  response model, else request model
--   requests                 BIGINT   calls
--   errors                   BIGINT   calls that failed (error type set or HTTP status >= 400)
--   rate_limited             BIGINT   calls answered HTTP 429
--   streamed                 BIGINT   streaming calls
--   input_tokens             BIGINT   input tokens, cached ones included
--   output_tokens            BIGINT   output tokens, reasoning ones included
--   cache_read_input_tokens  BIGINT   input tokens served from the provider's cache
--   reasoning_output_tokens  BIGINT   output tokens spent on reasoning
--   cost_usd                 DOUBLE   cost of the priced calls, at the prices of the day (NULL: every call unpriced)
--   unpriced_requests        BIGINT   calls whose cost is unknown: no price, or no usage reported (not counted as free)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE daily_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE daily_from = coalesce(getvariable('from_day')::DATE, getvariable('daily_to') - 6);

SELECT day, provider, model,
       sum(requests)::BIGINT AS requests,
       sum(errors)::BIGINT AS errors,
       sum(rate_limited)::BIGINT AS rate_limited,
       sum(streamed)::BIGINT AS streamed,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
       sum(reasoning_output_tokens)::BIGINT AS reasoning_output_tokens,
       CASE WHEN sum(requests) > sum(unpriced_requests) THEN coalesce(sum(cost_usd), 0) END::DOUBLE AS cost_usd,
       sum(unpriced_requests)::BIGINT AS unpriced_requests
FROM ai_usage_priced(getvariable('daily_from'), getvariable('daily_to'),
                     getvariable('user_id'), getvariable('project_id'), getvariable('model'))
GROUP BY day, provider, model
ORDER BY day, provider, model;
