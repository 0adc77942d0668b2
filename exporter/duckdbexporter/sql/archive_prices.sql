-- Whether the price table differs from the one the archive wrote last: its fingerprint
-- now, and the one marked when it was last written (NULL when never); hashes as text.
SELECT p.live_rows, p.live_hash::VARCHAR, a.live_rows, a.live_hash::VARCHAR
FROM (SELECT count(*) AS live_rows, bit_xor(hash(m)) AS live_hash FROM model_prices AS m) AS p
LEFT JOIN (
    SELECT live_rows, live_hash FROM ai_archive_day WHERE table_name = 'model_prices'
    ORDER BY archived_at DESC LIMIT 1
) AS a ON true
