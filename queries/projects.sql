-- Per-project and per-action usage: requests, users, tokens and cost by unit and tier per project and action.
--
-- Question: which projects, and which actions within them, use the models and spend the money, on what and in which tier?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up. Cost is
--   priced from model_prices as it stood on each day of use (see the cost report).
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day    DATE     first UTC day (default: 29 days before to_day)
--   to_day      DATE     last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   project_id             VARCHAR  aiusage.project.id ('' for calls without one)
--   action_type            VARCHAR  aiusage.action.type ('' for calls without one)
--   requests               BIGINT   calls
--   errors                 BIGINT   calls that failed (error type set or HTTP status >= 400)
--   users                  BIGINT   distinct user.id values ('' counts as one)
--   input_tokens           BIGINT   input tokens, cached ones included
--   output_tokens          BIGINT   output tokens, reasoning ones included
--   cost_usd               DOUBLE   cost of the priced calls (NULL: every call unpriced)
--   input_cost_usd         DOUBLE   of which uncached input (text, audio, image, video, document)
--   cached_input_cost_usd  DOUBLE   of which cached input
--   output_cost_usd        DOUBLE   of which output (text, reasoning, audio, image, video)
--   other_cost_usd         DOUBLE   of which audio seconds, characters, searches and request fees
--   standard_cost_usd      DOUBLE   of which calls served in the standard tier
--   flex_cost_usd          DOUBLE   of which calls served in the flex tier
--   priority_cost_usd      DOUBLE   of which calls served in the priority tier
--   batch_cost_usd         DOUBLE   of which batch calls
--   provisioned_cost_usd   DOUBLE   of which calls served on provisioned throughput
--   unpriced_requests      BIGINT   calls whose cost is unknown: no price, or no usage reported (not counted as free)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE projects_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE projects_from = coalesce(getvariable('from_day')::DATE, getvariable('projects_to') - 29);

SELECT project_id,
       action_type,
       sum(requests)::BIGINT AS requests,
       sum(errors)::BIGINT AS errors,
       count(DISTINCT user_id)::BIGINT AS users,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
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
       sum(unpriced_requests)::BIGINT AS unpriced_requests
FROM ai_usage_priced(getvariable('projects_from'), getvariable('projects_to'),
                     getvariable('user_id'), getvariable('project_id'), getvariable('model'))
GROUP BY project_id, action_type
ORDER BY project_id, action_type;
