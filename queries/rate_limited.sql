-- Rate-limited calls: the HTTP 429s of the last day by provider, model and quota.
--
-- Question: which quotas did we hit recently, how often, and how long were we told to wait?
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of  TIMESTAMPTZ            end of the period (default: now)
--   hours  INTEGER      1..876000  length of the period (default: 24)
--
-- Columns:
--   provider           VARCHAR      gen_ai.provider.name
--   model              VARCHAR      request model
--   quota_id           VARCHAR      Gemini QuotaFailure quotaId ('' when the provider named none)
--   error_type         VARCHAR      error.type recorded for the call
--   requests           BIGINT       429 answers
--   first_at           TIMESTAMPTZ  first 429 in the period
--   last_at            TIMESTAMPTZ  last 429 in the period
--   max_retry_after_s  DOUBLE       longest wait the provider asked for (NULL: none given)

-- The period, resolved once so the scan below filters on constants.
SET VARIABLE rate_limited_to = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());
SET VARIABLE rate_limited_since = getvariable('rate_limited_to') - to_hours(coalesce(getvariable('hours')::INTEGER, 24));

SELECT provider,
       coalesce(nullif(request_model, ''), nullif(response_model, ''), '') AS model,
       coalesce(quota_id, '') AS quota_id,
       coalesce(error_type, '') AS error_type,
       count(*)::BIGINT AS requests,
       min(start_time) AS first_at,
       max(start_time) AS last_at,
       max(retry_after_s) AS max_retry_after_s
FROM ai_usage_log
WHERE status_code = 429
  AND day BETWEEN (getvariable('rate_limited_since') AT TIME ZONE 'UTC')::DATE
              AND (getvariable('rate_limited_to') AT TIME ZONE 'UTC')::DATE
  AND start_time > getvariable('rate_limited_since')
  AND start_time <= getvariable('rate_limited_to')
GROUP BY ALL
ORDER BY requests DESC, provider, model, quota_id;
