-- Which of a batch's point hashes ($3, comma-separated) a metric table holds already,
-- looking only within the batch's time range ($1, $2).
SELECT point_hash FROM {{.Table}}
WHERE time BETWEEN $1 AND $2
  AND point_hash IN (SELECT unnest(string_split($3, ','))::UBIGINT)
