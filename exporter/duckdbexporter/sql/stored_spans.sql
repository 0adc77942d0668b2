-- Which of a batch's span ids ($3, comma-separated) are stored already: a batch the
-- queue delivers again after a crash or a retry lands once. The start-time range of
-- the batch ($1, $2) confines the scan to the row groups that can hold them.
SELECT trace_id, span_id FROM {{.UsageLog}}
WHERE start_time BETWEEN $1 AND $2
  AND span_id IN (SELECT unnest(string_split($3, ',')))
