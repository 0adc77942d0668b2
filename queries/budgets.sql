-- Budgets: spend to date in each budget's current period, the period-end projection, the projected overrun and the status.
--
-- Question: which budgets are running out, and when will each be spent at this pace?
--   A budget (table budgets; `aiusage budgets set`) caps the cost recorded at the calls of
--   one scope (all, provider, model, user, project or action) per day or calendar month
--   in its time zone. Spend to date is the cost of the scope's calls from the start of
--   the current period to as_of, unpriced calls counted apart, never as 0. Whole UTC days
--   inside the period are read from the daily roll-up (the raw calls where it has none),
--   the period's edges from the raw calls (a day whose raw calls retention deleted counts
--   whole if its noon is inside), so a month's budget costs a few days of raw calls.
--   The projection extends the period's average pace to its end.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   as_of   TIMESTAMPTZ  the moment the budgets are evaluated at; its period is the one reported (default: now)
--   budget  VARCHAR      only the budget of this name (default: every budget)
--
-- Columns:
--   budget                VARCHAR      budget name
--   scope                 VARCHAR      all | provider | model | user | project | action
--   scope_value           VARCHAR      the provider, model, user, project or action ('' for all)
--   period                VARCHAR      day | month
--   time_zone             VARCHAR      IANA zone the period's days and months follow
--   period_start          TIMESTAMPTZ  start of the current period
--   period_end            TIMESTAMPTZ  end of the current period (exclusive)
--   amount_usd            DOUBLE       budget per period
--   spend_usd             DOUBLE       cost of the scope's priced calls from period_start to as_of
--   used                  DOUBLE       spend_usd / amount_usd
--   unpriced_requests     BIGINT       calls in the period with no price (not counted as free)
--   projected_usd         DOUBLE       spend at period_end at the period's pace so far
--   projected_overrun_at  TIMESTAMPTZ  when spend reaches amount_usd at that pace (NULL: not before period_end, or already)
--   threshold             DOUBLE       the highest threshold spend has reached (NULL: none)
--   thresholds            DOUBLE[]     the budget's thresholds, fractions of amount_usd
--   status                VARCHAR      exceeded | warning (a threshold reached) | at_risk (the pace passes the amount before period_end) | ok
--   provider_cap          BOOLEAN      a cap the provider enforces: past it, it refuses calls

-- The moment, resolved once so the scans below filter on constants.
SET VARIABLE budgets_at = coalesce(getvariable('as_of')::TIMESTAMPTZ, now());

WITH
-- Each budget's current period, in its time zone.
periods AS (
    SELECT *,
           start_local AT TIME ZONE time_zone AS period_start,
           (start_local + CASE period WHEN 'day' THEN INTERVAL 1 DAY ELSE INTERVAL 1 MONTH END) AT TIME ZONE time_zone AS period_end
    FROM (SELECT *, date_trunc(period, getvariable('budgets_at') AT TIME ZONE time_zone) AS start_local
          FROM budgets
          WHERE getvariable('budget') IS NULL OR name = getvariable('budget'))
),
-- The UTC days it touches: whole ones (first_full..last_full) and the edges.
bounds AS (
    SELECT *,
           (period_start AT TIME ZONE 'UTC')::DATE AS start_day,
           ((period_start AT TIME ZONE 'UTC') + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)::DATE AS first_full,
           (getvariable('budgets_at') AT TIME ZONE 'UTC')::DATE - 1 AS last_full,
           (getvariable('budgets_at') AT TIME ZONE 'UTC')::DATE AS cut_day,
           epoch_us(getvariable('budgets_at') - period_start) / 1e6 AS elapsed_s,
           epoch_us(period_end - period_start) / 1e6 AS length_s
    FROM periods
),
edge_days AS (
    SELECT start_day AS day FROM bounds WHERE start_day < first_full
    UNION
    SELECT cut_day FROM bounds
),
-- The days the roll-up holds; raw calls of the edge days and of days it does not hold.
rolled_days AS (
    SELECT DISTINCT day FROM ai_usage_daily
    WHERE day BETWEEN (SELECT min(start_day) FROM bounds) AND (SELECT max(cut_day) FROM bounds)
),
raw AS (
    SELECT 'raw' AS src, day, start_time, provider,
           coalesce(nullif(response_model, ''), nullif(request_model, ''), '') AS model,
           coalesce(user_id, '') AS user_id, coalesce(project_id, '') AS project_id, coalesce(action_type, '') AS action_type,
           coalesce(cost_usd, 0) AS cost_usd, (cost_usd IS NULL AND cost_status IS NOT NULL)::BIGINT AS unpriced,
           day IN (SELECT day FROM rolled_days) AS rolled, true AS has_raw
    FROM ai_usage_log
    WHERE day BETWEEN (SELECT min(start_day) FROM bounds) AND (SELECT max(cut_day) FROM bounds)
      AND (day IN (SELECT day FROM edge_days) OR day NOT IN (SELECT day FROM rolled_days))
      AND start_time <= getvariable('budgets_at')
),
rolled AS (
    SELECT 'rolled' AS src, day, NULL::TIMESTAMPTZ AS start_time, provider, model, user_id, project_id, action_type,
           cost_usd, unpriced_requests AS unpriced,
           true AS rolled, day IN (SELECT DISTINCT day FROM raw) AS has_raw
    FROM ai_usage_daily
    WHERE day BETWEEN (SELECT min(start_day) FROM bounds) AND (SELECT max(cut_day) FROM bounds)
),
-- Per budget: whole days from the roll-up (raw calls where it has none), edge days from
-- the raw calls (the roll-up where retention left none).
spend AS (
    SELECT b.name, sum(x.cost_usd) AS spend_usd, sum(x.unpriced) AS unpriced
    FROM bounds b
    JOIN (SELECT * FROM raw UNION ALL SELECT * FROM rolled) x
      ON CASE b.scope WHEN 'all' THEN true
                      WHEN 'provider' THEN x.provider = b.scope_value
                      WHEN 'model' THEN x.model = b.scope_value
                      WHEN 'user' THEN x.user_id = b.scope_value
                      WHEN 'project' THEN x.project_id = b.scope_value
                      WHEN 'action' THEN x.action_type = b.scope_value END
     AND CASE WHEN x.day BETWEEN b.first_full AND b.last_full THEN x.src = 'rolled' OR NOT x.rolled
              WHEN x.day NOT BETWEEN b.start_day AND b.cut_day THEN false
              WHEN x.src = 'raw' THEN x.start_time >= b.period_start
              ELSE NOT x.has_raw AND x.day::TIMESTAMP AT TIME ZONE 'UTC' + INTERVAL 12 HOUR
                                     BETWEEN b.period_start AND getvariable('budgets_at') END
    GROUP BY b.name
),
evaluated AS (
    SELECT b.*,
           coalesce(s.spend_usd, 0) AS spend_usd,
           coalesce(s.unpriced, 0) AS unpriced_requests,
           list_max(list_filter(b.thresholds, t -> t * b.amount_usd <= coalesce(s.spend_usd, 0))) AS threshold,
           CASE WHEN b.elapsed_s > 0 THEN coalesce(s.spend_usd, 0) / b.elapsed_s END AS pace_usd_per_s
    FROM bounds b
    LEFT JOIN spend s USING (name)
)
SELECT name AS budget, scope, scope_value, period, time_zone, period_start, period_end, amount_usd,
       spend_usd,
       spend_usd / amount_usd AS used,
       unpriced_requests::BIGINT AS unpriced_requests,
       pace_usd_per_s * length_s AS projected_usd,
       CASE WHEN spend_usd < amount_usd AND pace_usd_per_s > 0
                 AND amount_usd / pace_usd_per_s < length_s
            THEN period_start + to_microseconds((amount_usd / pace_usd_per_s * 1e6)::BIGINT) END AS projected_overrun_at,
       threshold,
       thresholds,
       CASE WHEN spend_usd >= amount_usd THEN 'exceeded'
            WHEN threshold IS NOT NULL THEN 'warning'
            WHEN pace_usd_per_s * length_s > amount_usd THEN 'at_risk'
            ELSE 'ok' END AS status,
       provider_cap
FROM evaluated
ORDER BY used DESC, budget;
