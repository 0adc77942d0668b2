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
--   hours   INTEGER      period searched for the busiest minute (default: 24)
--   limits  VARCHAR      JSON list of limits, e.g. [{"provider":"gcp.gemini","model":"gemini-2.5-flash","rpm":10,"rpd":250,"tpm":250000}]; a missing or "" model applies to every model of the provider, an exact model wins (default: none)
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

WITH bounds AS (
    SELECT as_of,
           as_of - to_hours(hours) AS since,
           as_of - INTERVAL 1 MINUTE AS minute_ago,
           as_of - INTERVAL 1 DAY AS day_ago,
           (as_of AT TIME ZONE 'America/Los_Angeles')::DATE::TIMESTAMP AT TIME ZONE 'America/Los_Angeles' AS pacific_day,
           least(as_of - to_hours(hours), as_of - INTERVAL 1 DAY) AS earliest
    FROM (SELECT coalesce(getvariable('as_of')::TIMESTAMPTZ, now()) AS as_of,
                 coalesce(getvariable('hours')::INTEGER, 24) AS hours)
),
calls AS (
    SELECT provider,
           coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
           start_time,
           coalesce(input_tokens, 0) + coalesce(output_tokens, 0) AS tokens
    FROM ai_usage_log
    WHERE day BETWEEN ((SELECT earliest FROM bounds) AT TIME ZONE 'UTC')::DATE
                  AND ((SELECT as_of FROM bounds) AT TIME ZONE 'UTC')::DATE
      AND start_time > (SELECT earliest FROM bounds)
      AND start_time <= (SELECT as_of FROM bounds)
),
minutes AS (
    SELECT provider, model, epoch_us(start_time) // 60000000 AS minute, count(*) AS requests, sum(tokens) AS tokens
    FROM calls
    WHERE start_time > (SELECT since FROM bounds)
    GROUP BY ALL
),
peaks AS (
    SELECT provider, model, max(requests) AS peak_rpm, max(tokens) AS peak_tpm FROM minutes GROUP BY ALL
),
now_rates AS (
    SELECT provider, model,
           count(*) FILTER (start_time > (SELECT minute_ago FROM bounds)) AS rpm,
           coalesce(sum(tokens) FILTER (start_time > (SELECT minute_ago FROM bounds)), 0) AS tpm,
           count(*) FILTER (start_time >= CASE WHEN provider = 'gcp.gemini' THEN (SELECT pacific_day FROM bounds)
                                               ELSE (SELECT day_ago FROM bounds) END) AS rpd
    FROM calls
    GROUP BY ALL
),
limits AS (
    SELECT provider, coalesce(model, '') AS model, rpm, rpd, tpm
    FROM (SELECT unnest(from_json(coalesce(nullif(getvariable('limits'), ''), '[]'),
                                  '[{"provider":"VARCHAR","model":"VARCHAR","rpm":"BIGINT","rpd":"BIGINT","tpm":"BIGINT"}]'),
                        recursive := true))
),
rates AS (
    SELECT n.provider, n.model, n.rpm, coalesce(p.peak_rpm, 0) AS peak_rpm, n.rpd, n.tpm, coalesce(p.peak_tpm, 0) AS peak_tpm,
           l.rpm AS rpm_limit, l.rpd AS rpd_limit, l.tpm AS tpm_limit
    FROM now_rates n
    LEFT JOIN peaks p USING (provider, model)
    LEFT JOIN limits l ON l.provider = n.provider AND l.model IN (n.model, '')
    QUALIFY row_number() OVER (PARTITION BY n.provider, n.model ORDER BY l.model = '' NULLS LAST) = 1
)
SELECT provider, model,
       rpm::BIGINT AS rpm, peak_rpm::BIGINT AS peak_rpm, rpm_limit, (peak_rpm / nullif(rpm_limit, 0))::DOUBLE AS peak_rpm_util,
       rpd::BIGINT AS rpd, rpd_limit, (rpd / nullif(rpd_limit, 0))::DOUBLE AS rpd_util,
       CASE WHEN provider = 'gcp.gemini' THEN (SELECT pacific_day FROM bounds) ELSE (SELECT day_ago FROM bounds) END AS day_start,
       tpm::BIGINT AS tpm, peak_tpm::BIGINT AS peak_tpm, tpm_limit, (peak_tpm / nullif(tpm_limit, 0))::DOUBLE AS peak_tpm_util
FROM rates
ORDER BY provider, model;
