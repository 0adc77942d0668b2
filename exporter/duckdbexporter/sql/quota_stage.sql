-- A per-connection temporary table shaped like the quota snapshots, where a batch's
-- readings wait to be merged.
CREATE TEMP TABLE IF NOT EXISTS aiusage_quota_batch AS SELECT * FROM {{.QuotaSnapshot}} LIMIT 0
