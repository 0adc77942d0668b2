-- aiusage storage, version 6: the Parquet archive of sealed days (the lake).
-- The duckdb exporter writes each closed UTC day of the tables below as Parquet files
-- under one lake directory; ai_archive_file records every file it wrote, and
-- ai_archive_day marks, per table and day, what the table held when the day was last
-- archived, in the same transaction that records the files. queries/retention.sql
-- defines what a table holds per day now (ai_archive_live), the one rule both the
-- archive and retention compare those marks with.

CREATE TABLE IF NOT EXISTS ai_archive_file (
    table_name   VARCHAR NOT NULL,     -- the table the rows come from (the lake directory)
    day          DATE NOT NULL,        -- UTC day of the rows (the partition)
    file         VARCHAR NOT NULL,     -- path under the lake directory, '/'-separated
    row_count    BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    checksum     VARCHAR NOT NULL,     -- sha256:<hex> of the file
    max_time     TIMESTAMPTZ,          -- newest start_time (time, last_seen) in the file
    collector_id VARCHAR NOT NULL,     -- the collector that wrote it
    run_id       VARCHAR NOT NULL,     -- the archive run: its lake manifest file
    written_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS ai_archive_day (
    table_name  VARCHAR NOT NULL,
    day         DATE NOT NULL,
    live_rows   BIGINT NOT NULL,       -- rows of the day the table held when archived
    live_hash   UBIGINT,               -- their fingerprint, for tables whose rows change in place
    archived_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, day)
);
