-- Quota status: the latest limit, remaining, utilization and reset per provider, model, resource and window.
--
-- Question: how close is each quota to running out, and when does it refill?
--   Header-reported quotas (Groq: requests per day, tokens per minute) come from the
--   rate-limit headers of the last day's calls (a day is the longest window: older
--   headers describe windows that have refilled) and the exporter's quota snapshots; estimated ones (Gemini,
--   counted locally against configured limits) from the snapshots. An estimate's reset is
--   the end of its window: the next minute, or the next midnight Pacific for a Gemini day.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of      TIMESTAMPTZ           status as it stood at this time (default: now)
--   days       INTEGER      1..36500  ignore snapshots taken more than this many days before as_of (default: 7)
--   threshold  DOUBLE                utilization from which `warning` is set (default: 0.9)
--
-- Columns:
--   provider     VARCHAR      gen_ai.provider.name
--   model        VARCHAR      model the quota applies to (the request model)
--   resource     VARCHAR      requests | tokens
--   window       VARCHAR      1m | 1d
--   source       VARCHAR      header | estimate
--   limit        DOUBLE       quota size
--   remaining    DOUBLE       left in the window
--   utilization  DOUBLE       (limit - remaining) / limit
--   warning      BOOLEAN      utilization >= threshold
--   reset_at     TIMESTAMPTZ  when the window refills (NULL: unknown)
--   updated_at   TIMESTAMPTZ  when this was observed

-- The period, resolved once so the scans below filter on constants.
SET VARIABLE quota_to = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());
SET VARIABLE quota_since = getvariable('quota_to') - to_days(coalesce(getvariable('days')::INTEGER, 7));
SET VARIABLE quota_calls_since = getvariable('quota_to') - INTERVAL 1 DAY;

WITH
-- Latest rate-limit headers per model, from the calls.
calls AS (
    SELECT provider,
           coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
           max(start_time) FILTER (requests_limit IS NOT NULL) AS req_t,
           arg_max(requests_limit, start_time) FILTER (requests_limit IS NOT NULL) AS req_limit,
           arg_max(requests_remaining, start_time) FILTER (requests_limit IS NOT NULL) AS req_remaining,
           arg_max(requests_reset_s, start_time) FILTER (requests_limit IS NOT NULL) AS req_reset,
           max(start_time) FILTER (tokens_limit IS NOT NULL) AS tok_t,
           arg_max(tokens_limit, start_time) FILTER (tokens_limit IS NOT NULL) AS tok_limit,
           arg_max(tokens_remaining, start_time) FILTER (tokens_limit IS NOT NULL) AS tok_remaining,
           arg_max(tokens_reset_s, start_time) FILTER (tokens_limit IS NOT NULL) AS tok_reset
    FROM ai_usage_log
    WHERE day BETWEEN (getvariable('quota_calls_since') AT TIME ZONE 'UTC')::DATE AND (getvariable('quota_to') AT TIME ZONE 'UTC')::DATE
      AND start_time > getvariable('quota_calls_since') AND start_time <= getvariable('quota_to')
      AND (requests_limit IS NOT NULL OR tokens_limit IS NOT NULL)
    GROUP BY ALL
),
from_calls AS (
    SELECT provider, model, 'requests' AS resource, '1d' AS "window", 'header' AS source,
           req_limit::DOUBLE AS "limit", req_remaining::DOUBLE AS remaining,
           req_t + to_microseconds((req_reset * 1e6)::BIGINT) AS reset_at, req_t AS updated_at
    FROM calls WHERE req_t IS NOT NULL
    UNION ALL
    SELECT provider, model, 'tokens', '1m', 'header',
           tok_limit::DOUBLE, tok_remaining::DOUBLE,
           tok_t + to_microseconds((tok_reset * 1e6)::BIGINT), tok_t
    FROM calls WHERE tok_t IS NOT NULL
),
from_snapshots AS (
    SELECT provider, coalesce(model, '') AS model, resource, "window", source,
           arg_max("limit", time) AS "limit",
           arg_max(remaining, time) AS remaining,
           max(time) AS updated_at
    FROM ai_quota_snapshot
    WHERE time > getvariable('quota_since') AND time <= getvariable('quota_to')
    GROUP BY ALL
),
latest AS (
    SELECT * FROM (SELECT *, NULL::TIMESTAMPTZ AS reset_at FROM from_snapshots
                   UNION ALL BY NAME
                   SELECT * FROM from_calls)
    -- the newest observation wins; at a tie the one that knows its reset
    QUALIFY row_number() OVER (PARTITION BY provider, model, resource, "window"
                               ORDER BY updated_at DESC, reset_at IS NULL) = 1
),
status AS (
    SELECT l.provider, l.model, l.resource, l."window", l.source, l."limit", l.remaining, l.updated_at,
           -- a reset is an instant, so a header quota's last known one holds for a newer snapshot too
           coalesce(l.reset_at, c.reset_at,
                    CASE WHEN l.source = 'estimate' AND l."window" = '1m'
                             THEN date_trunc('minute', l.updated_at) + INTERVAL 1 MINUTE
                         WHEN l.source = 'estimate' AND l."window" = '1d' AND l.provider = 'gcp.gemini'
                             THEN ((l.updated_at AT TIME ZONE 'America/Los_Angeles')::DATE + 1)::TIMESTAMP
                                  AT TIME ZONE 'America/Los_Angeles'
                         WHEN l.source = 'estimate' AND l."window" = '1d'
                             THEN ((l.updated_at AT TIME ZONE 'UTC')::DATE + 1)::TIMESTAMP AT TIME ZONE 'UTC'
                    END) AS reset_at
    FROM latest l
    LEFT JOIN from_calls c USING (provider, model, resource, "window")
)
SELECT provider, model, resource, "window", source, "limit", remaining,
       CASE WHEN "limit" > 0 THEN ("limit" - remaining) / "limit" END AS utilization,
       coalesce(("limit" - remaining) / nullif("limit", 0) >= coalesce(getvariable('threshold')::DOUBLE, 0.9), false) AS warning,
       reset_at,
       updated_at
FROM status
ORDER BY provider, model, resource, "window";
