-- Per-project and per-action usage: requests, tokens, users and cost per project and action.
--
-- Question: which projects, and which actions within them, use the models and spend the money?
--   Days whose raw rows retention has removed come from the ai_usage_daily roll-up.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day    DATE     first UTC day (default: 29 days before to_day)
--   to_day      DATE     last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   project_id         VARCHAR  aiusage.project.id ('' for calls without one)
--   action_type        VARCHAR  aiusage.action.type ('' for calls without one)
--   requests           BIGINT   calls
--   errors             BIGINT   calls that failed (error type set or HTTP status >= 400)
--   users              BIGINT   distinct user.id values ('' counts as one)
--   input_tokens       BIGINT   input tokens, cached ones included
--   output_tokens      BIGINT   output tokens, reasoning ones included
--   cost_usd           DOUBLE   cost recorded at the calls (NULL: every call unpriced)
--   unpriced_requests  BIGINT   calls with no price in the table (not counted as free)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE projects_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE projects_from = coalesce(getvariable('from_day')::DATE, getvariable('projects_to') - 29);

WITH raw AS (
    SELECT day,
           coalesce(project_id, '') AS project_id,
           coalesce(action_type, '') AS action_type,
           coalesce(user_id, '') AS user_id,
           count(*) AS requests,
           count(*) FILTER (error_type IS NOT NULL OR status_code >= 400) AS errors,
           coalesce(sum(input_tokens), 0) AS input_tokens,
           coalesce(sum(output_tokens), 0) AS output_tokens,
           CASE WHEN count(*) > count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) THEN coalesce(sum(cost_usd), 0) END AS cost_usd,
           count(*) FILTER (cost_usd IS NULL AND cost_status IS NOT NULL) AS unpriced_requests
    FROM ai_usage_log
    WHERE day BETWEEN getvariable('projects_from') AND getvariable('projects_to')
      AND (getvariable('user_id') IS NULL OR coalesce(user_id, '') = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR coalesce(project_id, '') = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR coalesce(nullif(response_model, ''), nullif(request_model, ''), '') = getvariable('model'))
    GROUP BY ALL
),
kept AS (
    SELECT day, project_id, action_type, user_id, sum(requests), sum(errors),
           sum(input_tokens), sum(output_tokens),
           CASE WHEN sum(requests) > sum(unpriced_requests) THEN sum(cost_usd) END,
           sum(unpriced_requests)
    FROM ai_usage_daily
    WHERE day BETWEEN getvariable('projects_from') AND getvariable('projects_to')
      AND day NOT IN (SELECT day FROM raw)
      AND (getvariable('user_id') IS NULL OR user_id = getvariable('user_id'))
      AND (getvariable('project_id') IS NULL OR project_id = getvariable('project_id'))
      AND (getvariable('model') IS NULL OR model = getvariable('model'))
    GROUP BY ALL
)
SELECT project_id,
       action_type,
       sum(requests)::BIGINT AS requests,
       sum(errors)::BIGINT AS errors,
       count(DISTINCT user_id)::BIGINT AS users,
       sum(input_tokens)::BIGINT AS input_tokens,
       sum(output_tokens)::BIGINT AS output_tokens,
       sum(cost_usd)::DOUBLE AS cost_usd,
       sum(unpriced_requests)::BIGINT AS unpriced_requests
FROM (SELECT * FROM raw UNION ALL SELECT * FROM kept)
GROUP BY project_id, action_type
ORDER BY project_id, action_type;
