-- A per-connection temporary table shaped like the roll-up, where a batch's aggregates
-- wait for the upsert.
CREATE TEMP TABLE IF NOT EXISTS aiusage_daily_batch AS SELECT * FROM {{.Daily}} LIMIT 0
