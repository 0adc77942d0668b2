-- Cost: month-to-date spend per provider and model, priced on the day of use, with a month-end projection.
--
-- Question: what have we spent this month on each model, and where will the month end?
--   Every call is priced from model_prices as the table stood on its UTC day: an exact
--   model name beats a glob, a longer glob beats a shorter one, and of the tiers in force
--   the one with the highest min_input_tokens the call's prompt reaches applies. Cached
--   input is billed at the cached-input price where the table has one, else as input.
--   Calls no price covers are listed apart as 'unpriced' with NULL costs, never as 0.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of       DATE     last day counted; its month is the one reported (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   provider                 VARCHAR  gen_ai.provider.name
--   model                    VARCHAR  response model, else request model
--   status                   VARCHAR  priced | unpriced
--   requests                 BIGINT   calls, month to date
--   input_tokens             BIGINT   input tokens, cached ones included
--   cache_read_input_tokens  BIGINT   input tokens served from the cache
--   output_tokens            BIGINT   output tokens
--   input_cost_usd           DOUBLE   uncached input at the input price
--   cached_input_cost_usd    DOUBLE   cached input at the cached-input (else input) price
--   output_cost_usd          DOUBLE   output at the output price
--   cost_usd                 DOUBLE   the three together, month to date
--   projected_month_usd      DOUBLE   cost_usd / days elapsed x days in the month

-- The month, resolved once so the scan below filters on constants.
SET VARIABLE cost_to = coalesce(getvariable('as_of')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE cost_from = date_trunc('month', getvariable('cost_to'))::DATE;
-- The prompt-size tiers the table has, lowest first: each call is bucketed by the highest it reaches.
SET VARIABLE cost_tiers = (SELECT list(DISTINCT min_input_tokens ORDER BY min_input_tokens) FROM model_prices);
SET VARIABLE cost_first_tier = coalesce((SELECT min(min_input_tokens) FROM model_prices WHERE min_input_tokens > 0), 9223372036854775807);

WITH calls AS (
    SELECT day,
           provider,
           coalesce(nullif(response_model, ''), nullif(request_model, ''), '') AS model,
           greatest(coalesce(input_tokens, 0), 0) AS input_tokens,
           least(greatest(coalesce(cache_read_input_tokens, 0), 0), greatest(coalesce(input_tokens, 0), 0)) AS cached,
           greatest(coalesce(output_tokens, 0), 0) AS output_tokens
    FROM ai_usage_log
    WHERE day BETWEEN getvariable('cost_from') AND getvariable('cost_to')
      AND (getvariable('user_id') IS NULL OR coalesce(user_id, '') = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR coalesce(project_id, '') = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR coalesce(nullif(response_model, ''), nullif(request_model, ''), '') = getvariable('model'))
),
usage AS (
    SELECT day, provider, model,
           CASE WHEN input_tokens < getvariable('cost_first_tier') THEN 0 -- most calls: no list work
                ELSE coalesce(list_last(list_filter(getvariable('cost_tiers'), f -> f <= input_tokens)), 0) END AS tier,
           count(*) AS requests,
           sum(input_tokens) AS input_tokens,
           sum(cached) AS cached,
           sum(output_tokens) AS output_tokens
    FROM calls
    GROUP BY ALL
),
priced AS (
    SELECT u.*,
           p.input_usd_per_mtok AS input_price,
           coalesce(p.cached_input_usd_per_mtok, p.input_usd_per_mtok) AS cached_price,
           p.output_usd_per_mtok AS output_price
    FROM usage u
    LEFT JOIN model_prices p
      ON p.provider = u.provider
     AND (p.model = u.model OR u.model GLOB p.model)
     AND u.day >= p.effective_from
     AND (p.effective_to IS NULL OR u.day < p.effective_to)
     AND p.min_input_tokens <= u.tier
    QUALIFY row_number() OVER (
        PARTITION BY u.day, u.provider, u.model, u.tier
        ORDER BY p.model = u.model DESC, length(p.model) DESC, p.model, p.min_input_tokens DESC) = 1
)
SELECT provider,
       model,
       CASE WHEN input_price IS NULL THEN 'unpriced' ELSE 'priced' END AS status,
       sum(requests)::BIGINT AS requests,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(cached)::BIGINT AS cache_read_input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       sum((input_tokens - cached) * input_price / 1e6)::DOUBLE AS input_cost_usd,
       sum(cached * cached_price / 1e6)::DOUBLE AS cached_input_cost_usd,
       sum(output_tokens * output_price / 1e6)::DOUBLE AS output_cost_usd,
       sum(((input_tokens - cached) * input_price + cached * cached_price + output_tokens * output_price) / 1e6)::DOUBLE AS cost_usd,
       (sum(((input_tokens - cached) * input_price + cached * cached_price + output_tokens * output_price) / 1e6)
           / (getvariable('cost_to') - getvariable('cost_from') + 1) * day(last_day(getvariable('cost_to'))))::DOUBLE AS projected_month_usd
FROM priced
GROUP BY provider, model, status
ORDER BY status, cost_usd DESC NULLS LAST, provider, model;
