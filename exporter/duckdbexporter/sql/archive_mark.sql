-- Marks a table's day ($1, $2) archived as it is now (ai_archive_live of queries/retention.sql), at $3: the
-- archive has just written every row of it that the lake did not hold. The roll-up,
-- which follows its calls, is marked by its row count, once.
INSERT INTO ai_archive_day (table_name, day, live_rows, live_hash, archived_at)
SELECT $1, $2::DATE, coalesce(l.live_rows, d.live_rows, 0), l.live_hash, $3::TIMESTAMPTZ
FROM (SELECT 1)
LEFT JOIN ai_archive_live AS l ON l.table_name = $1 AND l.day = $2::DATE
LEFT JOIN (SELECT count(*) AS live_rows FROM {{.Daily}} WHERE day = $2::DATE) AS d ON $1 = 'ai_usage_daily'
ON CONFLICT (table_name, day) DO UPDATE SET
    live_rows   = excluded.live_rows,
    live_hash   = excluded.live_hash,
    archived_at = excluded.archived_at
