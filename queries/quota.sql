-- Quota status: the latest limit, remaining, utilization and reset per provider, model, resource and window.
--
-- Question: how close is each quota to running out, and when does it refill?
--   Header-reported quotas (Groq: requests per day, tokens per minute) come from the
--   calls' rate-limit headers and the exporter's quota snapshots; estimated ones (Gemini,
--   counted locally against configured limits) from the snapshots. An estimate's reset is
--   the end of its window: the next minute, or the next midnight Pacific for a Gemini day.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of      TIMESTAMPTZ  status as it stood at this time (default: now)
--   days       INTEGER      ignore quotas last seen more than this many days before as_of (default: 7)
--   threshold  DOUBLE       utilization from which `warning` is set (default: 0.9)
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

WITH bounds AS (
    SELECT as_of,
           (as_of AT TIME ZONE 'UTC')::DATE AS last_day,
           (as_of AT TIME ZONE 'UTC')::DATE - coalesce(getvariable('days')::INTEGER, 7) AS first_day,
           as_of - to_days(coalesce(getvariable('days')::INTEGER, 7)) AS since
    FROM (SELECT coalesce(getvariable('as_of')::TIMESTAMPTZ, now()) AS as_of)
),
-- Latest rate-limit headers per model, from the calls.
calls AS (
    SELECT provider,
           coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
           arg_max({t: start_time, "limit": requests_limit, remaining: requests_remaining, reset: requests_reset_s},
                   start_time) FILTER (requests_limit IS NOT NULL) AS req,
           arg_max({t: start_time, "limit": tokens_limit, remaining: tokens_remaining, reset: tokens_reset_s},
                   start_time) FILTER (tokens_limit IS NOT NULL) AS tok
    FROM ai_usage_log
    WHERE day BETWEEN (SELECT first_day FROM bounds) AND (SELECT last_day FROM bounds)
      AND start_time BETWEEN (SELECT since FROM bounds) AND (SELECT as_of FROM bounds)
      AND (requests_limit IS NOT NULL OR tokens_limit IS NOT NULL)
    GROUP BY ALL
),
from_calls AS (
    SELECT provider, model, 'requests' AS resource, '1d' AS "window", 'header' AS source,
           req."limit"::DOUBLE AS "limit", req.remaining::DOUBLE AS remaining,
           req.t + to_microseconds((req.reset * 1e6)::BIGINT) AS reset_at, req.t AS updated_at
    FROM calls WHERE req IS NOT NULL
    UNION ALL
    SELECT provider, model, 'tokens', '1m', 'header',
           tok."limit"::DOUBLE, tok.remaining::DOUBLE,
           tok.t + to_microseconds((tok.reset * 1e6)::BIGINT), tok.t
    FROM calls WHERE tok IS NOT NULL
),
from_snapshots AS (
    SELECT provider, coalesce(model, '') AS model, resource, "window", source,
           arg_max("limit", time) AS "limit",
           arg_max(remaining, time) AS remaining,
           max(time) AS updated_at
    FROM ai_quota_snapshot
    WHERE time BETWEEN (SELECT since FROM bounds) AND (SELECT as_of FROM bounds)
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
