-- Merges a batch's quota readings (staged in aiusage_quota_batch, one row per key) into
-- the snapshots: one row per (time, service, provider, model, resource, window, source)
-- whose limit, remaining and utilization may arrive in different batches. Merging is
-- idempotent, so a batch delivered twice changes nothing. $1 and $2 bound the batch's
-- times, to scan only the row groups that can match.
UPDATE {{.QuotaSnapshot}} AS q SET
    "limit"     = coalesce(b."limit", q."limit"),
    remaining   = coalesce(b.remaining, q.remaining),
    utilization = coalesce(b.utilization, q.utilization)
FROM aiusage_quota_batch AS b
WHERE q.time BETWEEN $1 AND $2
  AND q.time = b.time AND q.provider = b.provider AND q.resource = b.resource
  AND q."window" = b."window" AND q.source = b.source
  AND q.service_name IS NOT DISTINCT FROM b.service_name AND q.model IS NOT DISTINCT FROM b.model;
INSERT INTO {{.QuotaSnapshot}}
SELECT b.* FROM aiusage_quota_batch AS b
WHERE NOT EXISTS (
    SELECT 1 FROM {{.QuotaSnapshot}} AS q
    WHERE q.time BETWEEN $1 AND $2
      AND q.time = b.time AND q.provider = b.provider AND q.resource = b.resource
      AND q."window" = b."window" AND q.source = b.source
      AND q.service_name IS NOT DISTINCT FROM b.service_name AND q.model IS NOT DISTINCT FROM b.model);
