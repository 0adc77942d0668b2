-- Retention: delete raw rows older than N days; the daily roll-up keeps their history.
--
-- Question: drop ai_usage_log rows, quota snapshots and metric points from before the cutoff day.
--   A day's calls are deleted only when ai_usage_daily counts at least as many requests
--   for that day (it also counts calls deleted before), so nothing is lost; days not yet
--   rolled up are kept and listed (run rollup.sql over them, then this again). Quota
--   snapshots and metric points have no roll-up: those before the cutoff go. The duckdb
--   exporter runs this file for its retention setting.
--
-- Writes: ai_usage_log, ai_quota_snapshot, ai_metric_gauge, ai_metric_sum, ai_metric_histogram, ai_metric_exponential_histogram, ai_metric_summary
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
--   points_deleted           BIGINT   metric points deleted (ai_metric_* tables)
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
SELECT (SELECT cutoff FROM cut) AS cutoff, raw.day, raw.raw_rows, coalesce(rolled.rolled_up, 0) >= raw.raw_rows AS covered
FROM (SELECT NULL) LEFT JOIN raw ON true LEFT JOIN rolled USING (day);

CREATE OR REPLACE TEMP TABLE retention_cut AS
SELECT any_value(cutoff)::TIMESTAMP AT TIME ZONE 'UTC' AS cut_time FROM retention_days;

CREATE OR REPLACE TEMP TABLE retention_counts AS
SELECT (SELECT count(*) FROM ai_quota_snapshot WHERE time < (SELECT cut_time FROM retention_cut)) AS snapshots,
       (SELECT count(*) FROM ai_metric_gauge WHERE time < (SELECT cut_time FROM retention_cut))
     + (SELECT count(*) FROM ai_metric_sum WHERE time < (SELECT cut_time FROM retention_cut))
     + (SELECT count(*) FROM ai_metric_histogram WHERE time < (SELECT cut_time FROM retention_cut))
     + (SELECT count(*) FROM ai_metric_exponential_histogram WHERE time < (SELECT cut_time FROM retention_cut))
     + (SELECT count(*) FROM ai_metric_summary WHERE time < (SELECT cut_time FROM retention_cut)) AS points;

DELETE FROM ai_usage_log WHERE day IN (SELECT day FROM retention_days WHERE covered);
DELETE FROM ai_quota_snapshot WHERE time < (SELECT cut_time FROM retention_cut);
DELETE FROM ai_metric_gauge WHERE time < (SELECT cut_time FROM retention_cut);
DELETE FROM ai_metric_sum WHERE time < (SELECT cut_time FROM retention_cut);
DELETE FROM ai_metric_histogram WHERE time < (SELECT cut_time FROM retention_cut);
DELETE FROM ai_metric_exponential_histogram WHERE time < (SELECT cut_time FROM retention_cut);
DELETE FROM ai_metric_summary WHERE time < (SELECT cut_time FROM retention_cut);

COMMIT;

SELECT any_value(cutoff) AS cutoff,
       count(day) FILTER (covered)::BIGINT AS days_deleted,
       coalesce(sum(raw_rows) FILTER (covered), 0)::BIGINT AS rows_deleted,
       (SELECT snapshots FROM retention_counts)::BIGINT AS snapshots_deleted,
       (SELECT points FROM retention_counts)::BIGINT AS points_deleted,
       coalesce(list(day ORDER BY day) FILTER (day IS NOT NULL AND NOT covered), []::DATE[]) AS days_kept_not_rolled_up
FROM retention_days;
