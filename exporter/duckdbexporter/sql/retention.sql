-- Deletes raw rows of UTC days before the cutoff day ($1, 'YYYY-MM-DD'): spans, quota
-- snapshots and metric points. Whole days only, as queries/retention.sql does, so that
-- queries/rollup.sql never rebuilds a day from part of its rows. ai_usage_daily, which
-- the exporter keeps up to date in every batch's transaction, is the history and is
-- never deleted.
DELETE FROM ai_usage_log WHERE day < $1::DATE;
DELETE FROM ai_quota_snapshot WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM ai_metric_gauge WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM ai_metric_sum WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM ai_metric_histogram WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM ai_metric_exponential_histogram WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM ai_metric_summary WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
