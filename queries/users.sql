-- Per-user usage: requests, tokens, cost by unit and tier, and last call per user over the last N days.
--
-- Question: who uses the models, how much, and what does it cost, on what and in which tier, for every user or one?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up. Cost is
--   priced from model_prices as it stood on each day of use (see the cost report).
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
--   cost_usd                    DOUBLE   cost of the priced calls (NULL: every call unpriced)
--   input_cost_usd              DOUBLE   of which uncached input (text, audio, image, video, document)
--   cached_input_cost_usd       DOUBLE   of which cached input
--   output_cost_usd             DOUBLE   of which output (text, reasoning, audio, image, video)
--   other_cost_usd              DOUBLE   of which audio seconds, characters, searches and request fees
--   standard_cost_usd           DOUBLE   of which calls served in the standard tier
--   flex_cost_usd               DOUBLE   of which calls served in the flex tier
--   priority_cost_usd           DOUBLE   of which calls served in the priority tier
--   batch_cost_usd              DOUBLE   of which batch calls
--   provisioned_cost_usd        DOUBLE   of which calls served on provisioned throughput
--   unpriced_requests           BIGINT   calls whose cost is unknown: no price, or no usage reported (not counted as free)
--   last_seen                   TIMESTAMPTZ  the user's latest call

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE users_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE users_from = getvariable('users_to') - (coalesce(getvariable('days')::INTEGER, 30) - 1);

SELECT user_id,
       sum(requests)::BIGINT AS requests,
       sum(errors)::BIGINT AS errors,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       (sum(input_tokens) + sum(output_tokens))::BIGINT AS total_tokens,
       ((sum(input_tokens) + sum(output_tokens)) / sum(requests))::DOUBLE AS avg_tokens_per_request,
       CASE WHEN sum(requests) > sum(unpriced_requests) THEN coalesce(sum(cost_usd), 0) END::DOUBLE AS cost_usd,
       sum(input_cost_usd)::DOUBLE AS input_cost_usd,
       sum(cached_input_cost_usd)::DOUBLE AS cached_input_cost_usd,
       sum(output_cost_usd)::DOUBLE AS output_cost_usd,
       sum(other_cost_usd)::DOUBLE AS other_cost_usd,
       sum(cost_usd) FILTER (service_tier = 'standard')::DOUBLE AS standard_cost_usd,
       sum(cost_usd) FILTER (service_tier = 'flex')::DOUBLE AS flex_cost_usd,
       sum(cost_usd) FILTER (service_tier = 'priority')::DOUBLE AS priority_cost_usd,
       sum(cost_usd) FILTER (service_tier = 'batch')::DOUBLE AS batch_cost_usd,
       sum(cost_usd) FILTER (service_tier = 'provisioned')::DOUBLE AS provisioned_cost_usd,
       sum(unpriced_requests)::BIGINT AS unpriced_requests,
       max(last_seen) AS last_seen
FROM ai_usage_priced(getvariable('users_from'), getvariable('users_to'),
                     getvariable('user_id'), getvariable('project_id'), getvariable('model'))
GROUP BY user_id
ORDER BY cost_usd DESC NULLS LAST, total_tokens DESC, user_id;
