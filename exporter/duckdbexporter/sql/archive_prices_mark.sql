-- Marks the price table archived on day $1 at $2, by its fingerprint.
INSERT INTO ai_archive_day (table_name, day, live_rows, live_hash, archived_at)
SELECT 'model_prices', $1::DATE, count(*), bit_xor(hash(m)), $2::TIMESTAMPTZ FROM model_prices AS m
ON CONFLICT (table_name, day) DO UPDATE SET
    live_rows   = excluded.live_rows,
    live_hash   = excluded.live_hash,
    archived_at = excluded.archived_at
