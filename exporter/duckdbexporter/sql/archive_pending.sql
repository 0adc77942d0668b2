-- The tables and sealed days ($1: days before it) that hold rows the archive does not
-- hold yet: a day whose mark in ai_archive_day differs from what the table holds now
-- (ai_archive_live of queries/retention.sql), and every day of the roll-up never archived.
SELECT l.table_name, l.day
FROM ai_archive_live AS l
LEFT JOIN ai_archive_day AS a USING (table_name, day)
WHERE l.day < $1::DATE
  AND (a.day IS NULL OR a.live_rows <> l.live_rows OR a.live_hash IS DISTINCT FROM l.live_hash)
UNION ALL
SELECT 'ai_usage_daily', d.day
FROM (SELECT DISTINCT day FROM {{.Daily}} WHERE day < $1::DATE) AS d
WHERE NOT EXISTS (SELECT 1 FROM ai_archive_day AS a WHERE a.table_name = 'ai_usage_daily' AND a.day = d.day)
ORDER BY day, table_name
