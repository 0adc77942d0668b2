-- Quota status: the latest limit, remaining, utilization and reset per provider, model, resource and window, and when it runs out at the current rate.
--
-- Question: how close is each quota to running out, when does it refill, and at this rate do we run out first?
--   Header-reported quotas (Groq: requests per day, tokens per minute) come from the
--   rate-limit headers of the last day's calls (a day is the longest window: older
--   headers describe windows that have refilled) and the exporter's quota snapshots; estimated ones (Gemini,
--   counted locally against configured limits) from the snapshots. An estimate's reset is
--   the end of its window: the next minute, or the next midnight Pacific for a Gemini day.
--   The forecast is fleet-wide: the consumption rate is computed from the calls every
--   instance stored (requests the provider accepted; tokens: input + output, Gemini's
--   input only, as each provider counts them), smoothed exponentially over the time
--   before as_of (time constant 10 s for a minute window, 15 minutes for a day window, as
--   the instrumentation does). A header quota refills continuously (limit per window), so
--   it runs out only while the rate beats the refill; an estimated minute loses its
--   oldest usage as it goes; an estimated day runs out only if that comes before its
--   reset. An estimate's remaining is the snapshot's, or less when the stored calls of
--   every instance used more of the window.
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
--   rate_per_s   DOUBLE       consumption per second at as_of, fleet-wide (NULL: too little history)
--   forecast     VARCHAR      exhausted | before_reset | not_before_reset | unknown
--   exhausts_at  TIMESTAMPTZ  when it runs out at rate_per_s (before_reset), or was seen used up (exhausted); else NULL

-- The period, resolved once so the scans below filter on constants.
SET VARIABLE quota_to = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());
SET VARIABLE quota_since = getvariable('quota_to') - to_days(coalesce(getvariable('days')::INTEGER, 7));
SET VARIABLE quota_calls_since = getvariable('quota_to') - INTERVAL 1 DAY;
-- The rate looks back 8 time constants of a day window (older calls weigh under 0.04%).
SET VARIABLE quota_rate_since = getvariable('quota_to') - INTERVAL 2 HOUR;

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
),
-- What each call used of its quotas, as the provider counts it: a request when accepted;
-- tokens: input + output (Gemini: input only). Over the last day, the longest window.
amounts AS (
    SELECT provider,
           coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
           start_time,
           accepted::INTEGER AS requests,
           CASE WHEN accepted
                THEN coalesce(input_tokens, 0) + CASE WHEN provider = 'gcp.gemini' THEN 0 ELSE coalesce(output_tokens, 0) END
                ELSE 0 END AS tokens
    FROM (SELECT *, coalesce(status_code < 400, error_type IS NULL) AS accepted FROM ai_usage_log)
    WHERE day BETWEEN (getvariable('quota_calls_since') AT TIME ZONE 'UTC')::DATE AND (getvariable('quota_to') AT TIME ZONE 'UTC')::DATE
      AND start_time > getvariable('quota_calls_since') AND start_time <= getvariable('quota_to')
),
-- Per time constant tau (10 s, 900 s): the amounts weighted e^(-age/tau) and how long
-- the calls have been observed (up to 8 tau).
smoothed AS (
    SELECT provider, model, tau,
           sum(requests * exp(-age_s / tau)) AS requests_w,
           sum(tokens * exp(-age_s / tau)) AS tokens_w,
           max(age_s) AS observed_s
    FROM (SELECT *, epoch_us(getvariable('quota_to') - start_time) / 1e6 AS age_s FROM amounts
          WHERE start_time > getvariable('quota_rate_since')),
         (VALUES (10.0), (900.0)) AS taus(tau)
    WHERE age_s < 8 * tau
    GROUP BY ALL
),
-- What an estimated window holds at as_of, from every instance's calls: the last minute;
-- the day since midnight (Pacific for Gemini, else UTC).
in_window AS (
    SELECT s.provider, s.model, s.resource, s."window",
           sum(CASE WHEN s.resource = 'requests' THEN a.requests ELSE a.tokens END) AS used
    FROM status s
    JOIN amounts a ON a.provider = s.provider AND a.model = s.model
     AND a.start_time > CASE WHEN s."window" = '1m' THEN getvariable('quota_to') - INTERVAL 1 MINUTE
                             WHEN s.provider = 'gcp.gemini'
                                 THEN (getvariable('quota_to') AT TIME ZONE 'America/Los_Angeles')::DATE::TIMESTAMP AT TIME ZONE 'America/Los_Angeles'
                             ELSE (getvariable('quota_to') AT TIME ZONE 'UTC')::DATE::TIMESTAMP AT TIME ZONE 'UTC' END
    WHERE s.source = 'estimate'
    GROUP BY ALL
),
forecast_input AS (
    SELECT s.*,
           CASE WHEN s.source = 'header' AND s.reset_at <= getvariable('quota_to') THEN s."limit" -- refilled
                WHEN s.source = 'estimate' AND s.reset_at > getvariable('quota_to')
                    THEN least(s.remaining, s."limit" - coalesce(w.used, 0))
                WHEN s.source = 'estimate' THEN s."limit" - coalesce(w.used, 0) -- the snapshot's window is over
                ELSE s.remaining END AS left_now,
           CASE WHEN s.source = 'header' AND s.reset_at > getvariable('quota_to') THEN s.updated_at
                ELSE getvariable('quota_to') END AS read_at,
           CASE s."window" WHEN '1m' THEN 60.0 WHEN '1d' THEN 86400.0 END AS length_s,
           CASE WHEN r.observed_s >= r.tau / 4
                THEN CASE WHEN s.resource = 'requests' THEN r.requests_w ELSE r.tokens_w END
                     / (r.tau * (1 - exp(-r.observed_s / r.tau))) END AS rate_per_s
    FROM status s
    LEFT JOIN in_window w USING (provider, model, resource, "window")
    LEFT JOIN smoothed r ON r.provider = s.provider AND r.model = s.model
     AND r.tau = CASE WHEN s."window" = '1d' THEN 900.0 ELSE 10.0 END
),
forecast AS (
    SELECT *,
           rate_per_s - CASE WHEN source = 'header' THEN "limit" / length_s
                             WHEN "window" = '1m' THEN ("limit" - left_now) / length_s
                             ELSE 0 END AS net_per_s
    FROM forecast_input
),
predicted AS (
    SELECT *,
           CASE WHEN net_per_s > 0
                THEN greatest(read_at + to_microseconds((left_now / net_per_s * 1e6)::BIGINT), getvariable('quota_to')) END AS runs_out_at
    FROM forecast
)
SELECT provider, model, resource, "window", source, "limit", remaining,
       CASE WHEN "limit" > 0 THEN ("limit" - remaining) / "limit" END AS utilization,
       coalesce(("limit" - remaining) / nullif("limit", 0) >= coalesce(getvariable('threshold')::DOUBLE, 0.9), false) AS warning,
       reset_at,
       updated_at,
       rate_per_s,
       CASE WHEN left_now <= 0 AND (reset_at IS NULL OR reset_at > getvariable('quota_to')) THEN 'exhausted'
            WHEN rate_per_s IS NULL THEN 'unknown'
            WHEN runs_out_at IS NULL THEN 'not_before_reset'
            WHEN source = 'estimate' AND "window" = '1d' AND runs_out_at >= reset_at THEN 'not_before_reset'
            ELSE 'before_reset' END AS forecast,
       CASE WHEN left_now <= 0 AND (reset_at IS NULL OR reset_at > getvariable('quota_to')) THEN updated_at
            WHEN rate_per_s IS NULL THEN NULL
            WHEN source = 'estimate' AND "window" = '1d' AND runs_out_at >= reset_at THEN NULL
            ELSE runs_out_at END AS exhausts_at
FROM predicted
ORDER BY provider, model, resource, "window";
