-- Deletes raw rows of UTC days before the cutoff day ($1, 'YYYY-MM-DD'): spans, quota
-- snapshots and metric points. Whole days only, as queries/retention.sql does, so that
-- queries/rollup.sql never rebuilds a day from part of its rows. ai_usage_daily, which
-- the exporter keeps up to date in every batch's transaction, is the history and is
-- never deleted.
DELETE FROM {{.UsageLog}} WHERE day < $1::DATE;
DELETE FROM {{.QuotaSnapshot}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM {{.MetricGauge}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM {{.MetricSum}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM {{.MetricHistogram}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM {{.MetricExponentialHistogram}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
DELETE FROM {{.MetricSummary}} WHERE time < $1::DATE::TIMESTAMP AT TIME ZONE 'UTC';
