-- Retention: delete raw rows older than N days; the daily roll-up keeps their history.
--
-- Question: drop ai_usage_log rows, quota snapshots and metric points from before the cutoff day.
--   A day's calls are deleted only when ai_usage_daily counts at least as many requests
--   for that day (it also counts calls deleted before), so nothing is lost; days not yet
--   rolled up are kept and listed (run rollup.sql over them, then this again). Quota
--   snapshots and metric points have no roll-up: those before the cutoff go. With
--   `archived` set, a table's rows of a day go only once the Parquet archive holds them
--   all (its mark in ai_archive_day matches ai_archive_live below); days it does not
--   are kept and listed.
--   The duckdb exporter runs this file for its retention setting, with `archived` set
--   when it writes an archive.
--
-- Writes: ai_usage_log, ai_quota_snapshot, ai_metric_gauge, ai_metric_sum, ai_metric_histogram, ai_metric_exponential_histogram, ai_metric_summary, ai_archive_day
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   days      INTEGER  0..36500  raw days to keep before `as_of` (default: 30)
--   as_of     DATE               the cutoff is as_of - days (default: today, UTC)
--   archived  INTEGER  0..1      1: delete only what the Parquet archive holds (default: 0)
--
-- Columns:
--   cutoff                   DATE     raw rows of days before this are deleted
--   days_deleted             BIGINT   days whose raw rows were deleted
--   rows_deleted             BIGINT   ai_usage_log rows deleted
--   snapshots_deleted        BIGINT   ai_quota_snapshot rows deleted
--   points_deleted           BIGINT   metric points deleted (ai_metric_* tables)
--   days_kept_not_rolled_up  DATE[]   days before the cutoff kept because the roll-up does not cover them
--   days_kept_not_archived   DATE[]   days before the cutoff with rows kept because the archive does not hold them yet

BEGIN TRANSACTION;

-- What each table holds per UTC day now. The archive marks a table's day with this
-- when it writes the day to the lake (the duckdb exporter runs this same statement),
-- so a day whose mark differs holds rows the lake does not have yet. Quota snapshots
-- are merged in place, so their values are fingerprinted too; the other tables only
-- ever gain rows.
CREATE OR REPLACE TEMP VIEW ai_archive_live AS
SELECT 'ai_usage_log' AS table_name, day, count(*) AS live_rows, NULL::UBIGINT AS live_hash
FROM ai_usage_log GROUP BY day
UNION ALL
SELECT 'ai_quota_snapshot', (time AT TIME ZONE 'UTC')::DATE, count(*), bit_xor(hash(q))
FROM ai_quota_snapshot AS q GROUP BY 2
UNION ALL
SELECT 'ai_metric_gauge', (time AT TIME ZONE 'UTC')::DATE, count(*), NULL FROM ai_metric_gauge GROUP BY 2
UNION ALL
SELECT 'ai_metric_sum', (time AT TIME ZONE 'UTC')::DATE, count(*), NULL FROM ai_metric_sum GROUP BY 2
UNION ALL
SELECT 'ai_metric_histogram', (time AT TIME ZONE 'UTC')::DATE, count(*), NULL FROM ai_metric_histogram GROUP BY 2
UNION ALL
SELECT 'ai_metric_exponential_histogram', (time AT TIME ZONE 'UTC')::DATE, count(*), NULL
FROM ai_metric_exponential_histogram GROUP BY 2
UNION ALL
SELECT 'ai_metric_summary', (time AT TIME ZONE 'UTC')::DATE, count(*), NULL FROM ai_metric_summary GROUP BY 2;

CREATE OR REPLACE TEMP TABLE retention_cutoff AS
SELECT coalesce(getvariable('as_of')::DATE, (now() AT TIME ZONE 'UTC')::DATE)
       - coalesce(getvariable('days')::INTEGER, 30) AS cutoff,
       coalesce(getvariable('archived')::INTEGER, 0) = 1 AS archived_only;

-- With an archive: the tables and days before the cutoff whose rows the archive holds
-- in full.
CREATE OR REPLACE TEMP TABLE retention_archived AS
SELECT l.table_name, l.day
FROM ai_archive_live AS l
JOIN ai_archive_day AS a USING (table_name, day)
WHERE (SELECT archived_only FROM retention_cutoff)
  AND l.day < (SELECT cutoff FROM retention_cutoff)
  AND a.live_rows = l.live_rows AND a.live_hash IS NOT DISTINCT FROM l.live_hash;

-- The tables and days before the cutoff that have rows, and whether they may go.
CREATE OR REPLACE TEMP TABLE retention_days AS
WITH raw AS (
    SELECT day, count(*) AS raw_rows FROM ai_usage_log WHERE day < (SELECT cutoff FROM retention_cutoff) GROUP BY day
),
rolled AS (
    SELECT day, sum(requests) AS rolled_up FROM ai_usage_daily WHERE day < (SELECT cutoff FROM retention_cutoff) GROUP BY day
),
held AS (
    SELECT 'ai_usage_log' AS table_name, day FROM raw
    UNION SELECT table_name, day FROM ai_archive_live
    WHERE (SELECT archived_only FROM retention_cutoff) AND day < (SELECT cutoff FROM retention_cutoff)
)
SELECT held.table_name, held.day, coalesce(raw.raw_rows, 0) AS raw_rows,
       held.table_name <> 'ai_usage_log' OR coalesce(rolled.rolled_up, 0) >= raw.raw_rows AS covered,
       NOT (SELECT archived_only FROM retention_cutoff)
           OR EXISTS (SELECT 1 FROM retention_archived AS r WHERE r.table_name = held.table_name AND r.day = held.day) AS archived
FROM held
LEFT JOIN raw ON held.table_name = 'ai_usage_log' AND raw.day = held.day
LEFT JOIN rolled ON held.table_name = 'ai_usage_log' AND rolled.day = held.day;

CREATE OR REPLACE TEMP TABLE retention_cut AS
SELECT cutoff::TIMESTAMP AT TIME ZONE 'UTC' AS cut_time, archived_only FROM retention_cutoff;

-- The rows of a table before the cutoff that may go: all of them without an archive,
-- else those of the days the archive holds.
CREATE OR REPLACE TEMP MACRO retention_goes(tbl, t) AS
    t < (SELECT cut_time FROM retention_cut)
    AND (NOT (SELECT archived_only FROM retention_cut)
         OR (t AT TIME ZONE 'UTC')::DATE IN (SELECT day FROM retention_archived WHERE table_name = tbl));

CREATE OR REPLACE TEMP TABLE retention_counts AS
SELECT (SELECT count(*) FROM ai_quota_snapshot WHERE retention_goes('ai_quota_snapshot', time)) AS snapshots,
       (SELECT count(*) FROM ai_metric_gauge WHERE retention_goes('ai_metric_gauge', time))
     + (SELECT count(*) FROM ai_metric_sum WHERE retention_goes('ai_metric_sum', time))
     + (SELECT count(*) FROM ai_metric_histogram WHERE retention_goes('ai_metric_histogram', time))
     + (SELECT count(*) FROM ai_metric_exponential_histogram WHERE retention_goes('ai_metric_exponential_histogram', time))
     + (SELECT count(*) FROM ai_metric_summary WHERE retention_goes('ai_metric_summary', time)) AS points;

DELETE FROM ai_usage_log
WHERE day IN (SELECT day FROM retention_days WHERE table_name = 'ai_usage_log' AND covered AND archived);
DELETE FROM ai_quota_snapshot WHERE retention_goes('ai_quota_snapshot', time);
DELETE FROM ai_metric_gauge WHERE retention_goes('ai_metric_gauge', time);
DELETE FROM ai_metric_sum WHERE retention_goes('ai_metric_sum', time);
DELETE FROM ai_metric_histogram WHERE retention_goes('ai_metric_histogram', time);
DELETE FROM ai_metric_exponential_histogram WHERE retention_goes('ai_metric_exponential_histogram', time);
DELETE FROM ai_metric_summary WHERE retention_goes('ai_metric_summary', time);

-- The archive's marks of what went now say the days are empty, so rows that arrive
-- for them later are found to be new.
UPDATE ai_archive_day AS a SET live_rows = 0, live_hash = NULL
WHERE (SELECT archived_only FROM retention_cutoff)
  AND EXISTS (SELECT 1 FROM retention_days AS r
              WHERE r.table_name = a.table_name AND r.day = a.day AND r.covered AND r.archived);

COMMIT;

SELECT (SELECT cutoff FROM retention_cutoff) AS cutoff,
       count(day) FILTER (table_name = 'ai_usage_log' AND covered AND archived)::BIGINT AS days_deleted,
       coalesce(sum(raw_rows) FILTER (covered AND archived), 0)::BIGINT AS rows_deleted,
       (SELECT snapshots FROM retention_counts)::BIGINT AS snapshots_deleted,
       (SELECT points FROM retention_counts)::BIGINT AS points_deleted,
       coalesce(list(DISTINCT day ORDER BY day) FILTER (table_name = 'ai_usage_log' AND NOT covered), []::DATE[]) AS days_kept_not_rolled_up,
       coalesce(list(DISTINCT day ORDER BY day) FILTER (NOT archived), []::DATE[]) AS days_kept_not_archived
FROM retention_days;
