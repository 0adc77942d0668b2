-- Records one file the archive wrote, in the transaction that marks its day.
INSERT INTO ai_archive_file (table_name, day, file, row_count, bytes, checksum, max_time, collector_id, run_id, written_at)
VALUES ($1, $2::DATE, $3, $4, $5, $6, $7::TIMESTAMPTZ, $8, $9, $10::TIMESTAMPTZ)
