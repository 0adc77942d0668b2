-- The last row stored in a batch's start-time range ($1, $2) before the batch appends
-- any, -1 when there is none: the rows the batch appends come after it (rollup_rows.sql).
SELECT coalesce(max(rowid), -1) FROM {{.UsageLog}} WHERE start_time BETWEEN $1 AND $2
