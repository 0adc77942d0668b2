-- Spend anomalies: days on which a user's or a project's spend exceeds k times its median over the 7 days before.
--
-- Question: who spent far more than usual, and on which day?
--   Spend is the cost recorded at the calls, per UTC day. A day is flagged when its spend
--   is at least min_usd and more than k times the median of the same user's (or
--   project's) spend on the 7 days before it, days without calls counting as 0; so a
--   first day of spending after an idle week is flagged too (median 0, ratio NULL). The
--   Prometheus alert AIUsageProjectSpendAnomaly applies the same rule to projects.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day  DATE    first UTC day examined (default: 6 days before to_day)
--   to_day    DATE    last UTC day examined, inclusive (default: today, UTC)
--   k         DOUBLE  how many times the trailing median a day's spend must exceed (default: 3)
--   min_usd   DOUBLE  smallest spend in USD worth flagging (default: 1)
--
-- Columns:
--   day              DATE     UTC day
--   kind             VARCHAR  user | project
--   id               VARCHAR  user.id or aiusage.project.id
--   spend_usd        DOUBLE   cost recorded at the calls that day
--   median_usd       DOUBLE   median daily spend over the 7 days before (0 for a day without calls)
--   ratio            DOUBLE   spend_usd / median_usd (NULL when the median is 0)
--   days_with_spend  BIGINT   how many of those 7 days had any spend

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE anomalies_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE anomalies_from = coalesce(getvariable('from_day')::DATE, getvariable('anomalies_to') - 6);
SET VARIABLE anomalies_since = getvariable('anomalies_from') - 7;

WITH
-- Spend per day, user and project: raw calls, and the roll-up for days retention emptied.
raw AS (
    SELECT day, coalesce(user_id, '') AS user_id, coalesce(project_id, '') AS project_id, sum(coalesce(cost_usd, 0)) AS cost_usd
    FROM ai_usage_log
    WHERE day BETWEEN getvariable('anomalies_since') AND getvariable('anomalies_to')
    GROUP BY ALL
),
kept AS (
    SELECT day, user_id, project_id, sum(cost_usd) AS cost_usd
    FROM ai_usage_daily
    WHERE day BETWEEN getvariable('anomalies_since') AND getvariable('anomalies_to')
      AND day NOT IN (SELECT day FROM raw)
    GROUP BY ALL
),
spend AS (
    SELECT day, 'user' AS kind, user_id AS id, sum(cost_usd) AS spend_usd
    FROM (SELECT * FROM raw UNION ALL SELECT * FROM kept) WHERE user_id <> '' GROUP BY ALL
    UNION ALL
    SELECT day, 'project', project_id, sum(cost_usd)
    FROM (SELECT * FROM raw UNION ALL SELECT * FROM kept) WHERE project_id <> '' GROUP BY ALL
),
-- Every day for every user and project seen, 0 where there was no spend: from 7 days
-- before the first day with calls (a day without spend is never flagged, so the days
-- before and after the data need no rows).
grid AS (
    SELECT g.day, i.kind, i.id, coalesce(s.spend_usd, 0) AS spend_usd
    FROM (SELECT DISTINCT kind, id FROM spend) i
    CROSS JOIN (SELECT unnest(generate_series(greatest(min(day) - 7, getvariable('anomalies_since')), max(day), INTERVAL 1 DAY))::DATE AS day
                FROM spend) g
    LEFT JOIN spend s ON s.kind = i.kind AND s.id = i.id AND s.day = g.day
),
history AS (
    SELECT *,
           median(spend_usd) OVER w AS median_usd,
           count(*) FILTER (spend_usd > 0) OVER w AS days_with_spend
    FROM grid
    WINDOW w AS (PARTITION BY kind, id ORDER BY day ROWS BETWEEN 7 PRECEDING AND 1 PRECEDING)
)
SELECT day, kind, id, spend_usd,
       median_usd::DOUBLE AS median_usd,
       (spend_usd / nullif(median_usd, 0))::DOUBLE AS ratio,
       days_with_spend
FROM history
WHERE day BETWEEN getvariable('anomalies_from') AND getvariable('anomalies_to')
  AND spend_usd >= coalesce(getvariable('min_usd')::DOUBLE, 1)
  AND spend_usd > coalesce(getvariable('k')::DOUBLE, 3) * median_usd
ORDER BY day, kind, spend_usd DESC, id;
