-- aiusage storage, version 2: every metric data point, one table per point type.
-- Each row is keyed by metric name, time, resource and point attributes (JSON);
-- point_hash fingerprints the point (name, times, attributes, value) so that a batch
-- delivered twice lands once. aiusage.ratelimit.* points also fill ai_quota_snapshot.

CREATE TABLE IF NOT EXISTS ai_metric_gauge (
    metric_name         VARCHAR NOT NULL,
    unit                VARCHAR,
    time                TIMESTAMPTZ NOT NULL,
    start_time          TIMESTAMPTZ,
    service_name        VARCHAR,
    scope_name          VARCHAR,
    value               DOUBLE,             -- the point's value; an integer point as well
    int_value           BIGINT,             -- exact value of an integer point, else NULL
    flags               UINTEGER,
    attributes          JSON,
    resource_attributes JSON,
    point_hash          UBIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS ai_metric_sum (
    metric_name         VARCHAR NOT NULL,
    unit                VARCHAR,
    time                TIMESTAMPTZ NOT NULL,
    start_time          TIMESTAMPTZ,
    service_name        VARCHAR,
    scope_name          VARCHAR,
    value               DOUBLE,
    int_value           BIGINT,
    temporality         VARCHAR,            -- cumulative | delta
    is_monotonic        BOOLEAN,
    flags               UINTEGER,
    attributes          JSON,
    resource_attributes JSON,
    point_hash          UBIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS ai_metric_histogram (
    metric_name         VARCHAR NOT NULL,
    unit                VARCHAR,
    time                TIMESTAMPTZ NOT NULL,
    start_time          TIMESTAMPTZ,
    service_name        VARCHAR,
    scope_name          VARCHAR,
    count               UBIGINT,
    sum                 DOUBLE,
    min                 DOUBLE,
    max                 DOUBLE,
    bucket_counts       UBIGINT[],
    explicit_bounds     DOUBLE[],
    temporality         VARCHAR,
    flags               UINTEGER,
    attributes          JSON,
    resource_attributes JSON,
    point_hash          UBIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS ai_metric_exponential_histogram (
    metric_name            VARCHAR NOT NULL,
    unit                   VARCHAR,
    time                   TIMESTAMPTZ NOT NULL,
    start_time             TIMESTAMPTZ,
    service_name           VARCHAR,
    scope_name             VARCHAR,
    count                  UBIGINT,
    sum                    DOUBLE,
    min                    DOUBLE,
    max                    DOUBLE,
    scale                  INTEGER,
    zero_count             UBIGINT,
    zero_threshold         DOUBLE,
    positive_offset        INTEGER,
    positive_bucket_counts UBIGINT[],
    negative_offset        INTEGER,
    negative_bucket_counts UBIGINT[],
    temporality            VARCHAR,
    flags                  UINTEGER,
    attributes             JSON,
    resource_attributes    JSON,
    point_hash             UBIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS ai_metric_summary (
    metric_name         VARCHAR NOT NULL,
    unit                VARCHAR,
    time                TIMESTAMPTZ NOT NULL,
    start_time          TIMESTAMPTZ,
    service_name        VARCHAR,
    scope_name          VARCHAR,
    count               UBIGINT,
    sum                 DOUBLE,
    quantiles           DOUBLE[],           -- quantiles[i] has value quantile_values[i]
    quantile_values     DOUBLE[],
    flags               UINTEGER,
    attributes          JSON,
    resource_attributes JSON,
    point_hash          UBIGINT NOT NULL
);
