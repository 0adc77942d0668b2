-- Cost: month-to-date spend per provider, model and service tier, priced on the day of use, with a month-end projection.
--
-- Question: what have we spent this month on each model and tier, on what, and where will the month end?
--   Every call is priced from model_prices as the table stood on its UTC day, by the rule
--   of instrumentation/pricing (the schema's ai_usage_priced macro): an exact model name
--   beats a glob, a longer glob beats a shorter one; the served tier's rows, else the
--   standard tier's (priced_tier says which); per billed unit the row of the highest
--   prompt-size tier the call's prompt reaches (Gemini 2.5 Pro over 200K tokens), a part
--   without a rate of its own (cached or audio input) at the rate of the total it is part of.
--   Loading a corrected price table reprices past days, those only the roll-up holds too;
--   the cost recorded on each call stays as it was. Calls no price covers are listed apart
--   as 'unpriced' with NULL costs, never as 0; calls that used a unit without a rate are
--   'partially_priced', the units named in missing_units, the rest of their cost counted.
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
--   service_tier             VARCHAR  the tier the calls were served in (standard, flex, priority, batch, provisioned)
--   priced_tier              VARCHAR  the tier whose rates priced them: service_tier, or standard when the table has no rates for it
--   status                   VARCHAR  priced | partially_priced | unpriced
--   requests                 BIGINT   calls, month to date
--   unpriced_requests        BIGINT   of which calls whose cost is unknown: no price, or no usage reported
--   input_tokens             BIGINT   input tokens, cached ones included
--   cache_read_input_tokens  BIGINT   input tokens served from the cache
--   output_tokens            BIGINT   output tokens
--   input_cost_usd           DOUBLE   uncached input: text, audio, image, video, document tokens
--   cached_input_cost_usd    DOUBLE   cached input of every modality
--   output_cost_usd          DOUBLE   output: text, reasoning, audio, image, video tokens
--   other_cost_usd           DOUBLE   audio seconds, characters, search queries and grounded prompts, request fees
--   cost_usd                 DOUBLE   the four together, month to date
--   projected_month_usd      DOUBLE   cost_usd / days elapsed x days in the month
--   missing_units            VARCHAR  units the calls used that the table has no rate for (NULL: none)

-- The month, resolved once so the scan below filters on constants.
SET VARIABLE cost_to = coalesce(getvariable('as_of')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE cost_from = date_trunc('month', getvariable('cost_to'))::DATE;

SELECT provider,
       model,
       service_tier,
       priced_tier,
       status,
       sum(requests)::BIGINT AS requests,
       sum(unpriced_requests)::BIGINT AS unpriced_requests,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       sum(input_cost_usd)::DOUBLE AS input_cost_usd,
       sum(cached_input_cost_usd)::DOUBLE AS cached_input_cost_usd,
       sum(output_cost_usd)::DOUBLE AS output_cost_usd,
       sum(other_cost_usd)::DOUBLE AS other_cost_usd,
       sum(cost_usd)::DOUBLE AS cost_usd,
       (sum(cost_usd) / (getvariable('cost_to') - getvariable('cost_from') + 1) * day(last_day(getvariable('cost_to'))))::DOUBLE AS projected_month_usd,
       ai_unit_names(bit_or(missing_mask)) AS missing_units
FROM ai_usage_priced(getvariable('cost_from'), getvariable('cost_to'),
                     getvariable('user_id'), getvariable('project_id'), getvariable('model'))
GROUP BY provider, model, service_tier, priced_tier, status
ORDER BY status, cost_usd DESC NULLS LAST, provider, model, service_tier;
