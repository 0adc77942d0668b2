-- Retention: delete raw rows older than N days; the daily roll-up keeps their history.
--
-- Question: drop ai_usage_log rows and quota snapshots from before the cutoff day.
--   A day's raw rows are deleted only when ai_usage_daily counts every one of them,
--   so nothing is lost; days not yet rolled up are kept and listed (run rollup.sql
--   over them, then this again).
--
-- Writes: ai_usage_log, ai_quota_snapshot
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   days   INTEGER  0..36500  raw days to keep before `as_of` (default: 30)
--   as_of  DATE               the cutoff is as_of - days (default: today, UTC)
--
-- Columns:
--   cutoff                   DATE     raw rows of days before this are deleted
--   days_deleted             BIGINT   days whose raw rows were deleted
--   rows_deleted             BIGINT   ai_usage_log rows deleted
--   snapshots_deleted        BIGINT   ai_quota_snapshot rows deleted
--   days_kept_not_rolled_up  DATE[]   days before the cutoff kept because the roll-up does not cover them

BEGIN TRANSACTION;

CREATE OR REPLACE TEMP TABLE retention_days AS
WITH cut AS (
    SELECT coalesce(getvariable('as_of')::DATE, (now() AT TIME ZONE 'UTC')::DATE)
           - coalesce(getvariable('days')::INTEGER, 30) AS cutoff
),
raw AS (
    SELECT day, count(*) AS raw_rows FROM ai_usage_log WHERE day < (SELECT cutoff FROM cut) GROUP BY day
),
rolled AS (
    SELECT day, sum(requests) AS rolled_up FROM ai_usage_daily WHERE day < (SELECT cutoff FROM cut) GROUP BY day
)
SELECT (SELECT cutoff FROM cut) AS cutoff, raw.day, raw.raw_rows, raw.raw_rows = coalesce(rolled.rolled_up, 0) AS covered
FROM (SELECT NULL) LEFT JOIN raw ON true LEFT JOIN rolled USING (day);

CREATE OR REPLACE TEMP TABLE retention_snapshots AS
SELECT count(*) AS n
FROM ai_quota_snapshot
WHERE time < (SELECT any_value(cutoff) FROM retention_days)::TIMESTAMP AT TIME ZONE 'UTC';

DELETE FROM ai_usage_log WHERE day IN (SELECT day FROM retention_days WHERE covered);

DELETE FROM ai_quota_snapshot
WHERE time < (SELECT any_value(cutoff) FROM retention_days)::TIMESTAMP AT TIME ZONE 'UTC';

COMMIT;

SELECT any_value(cutoff) AS cutoff,
       count(day) FILTER (covered)::BIGINT AS days_deleted,
       coalesce(sum(raw_rows) FILTER (covered), 0)::BIGINT AS rows_deleted,
       (SELECT n FROM retention_snapshots)::BIGINT AS snapshots_deleted,
       coalesce(list(day ORDER BY day) FILTER (day IS NOT NULL AND NOT covered), []::DATE[]) AS days_kept_not_rolled_up
FROM retention_days;
