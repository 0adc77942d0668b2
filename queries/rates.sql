-- Request rates: requests per minute, requests per day and tokens per minute per provider and model, against limits.
--
-- Question: how close do we run to each model's RPM, RPD and TPM limits?
--   This is the estimate for providers that send no quota headers (Gemini): usage is
--   counted from the calls and set against the limits you configure. A Gemini day is
--   the Pacific day (its daily quotas reset at midnight Pacific); any other provider's
--   day is the last 24 hours.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of   TIMESTAMPTZ  the moment rates are measured at (default: now)
--   hours   INTEGER      1..876000  period searched for the busiest minute (default: 24)
--   limits  VARCHAR      [{"provider":"VARCHAR","model":"VARCHAR","rpm":"BIGINT","rpd":"BIGINT","tpm":"BIGINT"}]
--                        JSON list of limits, e.g. [{"provider":"gcp.gemini","model":"gemini-2.5-flash","rpm":10,"rpd":250,"tpm":250000}]; a missing or "" model applies to every model of the provider, an exact model wins; keys other than these are refused (default: none)
--
-- Columns:
--   provider          VARCHAR      gen_ai.provider.name
--   model             VARCHAR      request model
--   rpm               BIGINT       requests in the minute before as_of
--   peak_rpm          BIGINT       requests in the busiest calendar minute of the period
--   rpm_limit         BIGINT       configured requests per minute (NULL: none)
--   peak_rpm_util     DOUBLE       peak_rpm / rpm_limit
--   rpd               BIGINT       requests in the provider's day up to as_of
--   rpd_limit         BIGINT       configured requests per day (NULL: none)
--   rpd_util          DOUBLE       rpd / rpd_limit
--   day_start         TIMESTAMPTZ  where that day began
--   tpm               BIGINT       input + output tokens in the minute before as_of
--   peak_tpm          BIGINT       tokens in the busiest calendar minute of the period
--   tpm_limit         BIGINT       configured tokens per minute (NULL: none)
--   peak_tpm_util     DOUBLE       peak_tpm / tpm_limit

-- The moments that bound each count, resolved once so the scans filter on constants.
SET VARIABLE rates_to = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());
SET VARIABLE rates_since = getvariable('rates_to') - to_hours(coalesce(getvariable('hours')::INTEGER, 24));
SET VARIABLE rates_minute_ago = getvariable('rates_to') - INTERVAL 1 MINUTE;
SET VARIABLE rates_day_ago = getvariable('rates_to') - INTERVAL 1 DAY;
SET VARIABLE rates_pacific_day = (getvariable('rates_to') AT TIME ZONE 'America/Los_Angeles')::DATE::TIMESTAMP
                                 AT TIME ZONE 'America/Los_Angeles';
SET VARIABLE rates_earliest = least(getvariable('rates_since'), getvariable('rates_day_ago'));

WITH
-- One pass: per calendar minute, the calls in the period and those in the last minute and day.
minutes AS (
    SELECT provider,
           coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
           epoch_us(start_time) // 60000000 AS minute,
           count(*) FILTER (start_time > getvariable('rates_since')) AS requests,
           coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))
                    FILTER (start_time > getvariable('rates_since')), 0) AS tokens,
           count(*) FILTER (start_time > getvariable('rates_minute_ago')) AS last_minute_requests,
           coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))
                    FILTER (start_time > getvariable('rates_minute_ago')), 0) AS last_minute_tokens,
           count(*) FILTER (start_time >= CASE WHEN provider = 'gcp.gemini' THEN getvariable('rates_pacific_day')
                                               ELSE getvariable('rates_day_ago') END) AS day_requests
    FROM ai_usage_log
    WHERE day BETWEEN (getvariable('rates_earliest') AT TIME ZONE 'UTC')::DATE
                  AND (getvariable('rates_to') AT TIME ZONE 'UTC')::DATE
      AND start_time > getvariable('rates_earliest')
      AND start_time <= getvariable('rates_to')
    GROUP BY ALL
),
now_rates AS (
    SELECT provider, model,
           sum(last_minute_requests) AS rpm, max(requests) AS peak_rpm,
           sum(day_requests) AS rpd,
           sum(last_minute_tokens) AS tpm, max(tokens) AS peak_tpm
    FROM minutes
    GROUP BY ALL
),
limits AS (
    SELECT provider, coalesce(model, '') AS model, rpm, rpd, tpm
    FROM (SELECT unnest(from_json(coalesce(nullif(getvariable('limits'), ''), '[]'),
                                  '[{"provider":"VARCHAR","model":"VARCHAR","rpm":"BIGINT","rpd":"BIGINT","tpm":"BIGINT"}]'),
                        recursive := true))
),
rates AS (
    SELECT n.provider, n.model, n.rpm, n.peak_rpm, n.rpd, n.tpm, n.peak_tpm,
           l.rpm AS rpm_limit, l.rpd AS rpd_limit, l.tpm AS tpm_limit
    FROM now_rates n
    LEFT JOIN limits l ON l.provider = n.provider AND l.model IN (n.model, '')
    QUALIFY row_number() OVER (PARTITION BY n.provider, n.model ORDER BY l.model = '' NULLS LAST) = 1
)
SELECT provider, model,
       rpm::BIGINT AS rpm, peak_rpm::BIGINT AS peak_rpm, rpm_limit, (peak_rpm / nullif(rpm_limit, 0))::DOUBLE AS peak_rpm_util,
       rpd::BIGINT AS rpd, rpd_limit, (rpd / nullif(rpd_limit, 0))::DOUBLE AS rpd_util,
       CASE WHEN provider = 'gcp.gemini' THEN getvariable('rates_pacific_day') ELSE getvariable('rates_day_ago') END AS day_start,
       tpm::BIGINT AS tpm, peak_tpm::BIGINT AS peak_tpm, tpm_limit, (peak_tpm / nullif(tpm_limit, 0))::DOUBLE AS peak_tpm_util
FROM rates
ORDER BY provider, model;
