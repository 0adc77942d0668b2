-- The rows a batch appended, named rollup_rows for the roll-up rule of queries/rollup.sql
-- that follows this text: the rows in the batch's start-time range ($1, $2) after the
-- last row stored in that range before the batch ($3, -1 when there was none). Within
-- the batch's transaction the rows it appended come after every row committed before.
WITH rollup_rows AS (
    SELECT * FROM {{.UsageLog}}
    WHERE start_time BETWEEN $1 AND $2 AND rowid > $3
)
