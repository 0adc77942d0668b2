-- aiusage storage, version 1.
-- One row per GenAI span; quota snapshots from aiusage.ratelimit.* metric points;
-- every metric point by type; the price table; the daily roll-up that outlives retention.

CREATE TABLE IF NOT EXISTS ai_usage_log (
    trace_id                VARCHAR NOT NULL,
    span_id                 VARCHAR NOT NULL,
    start_time              TIMESTAMPTZ NOT NULL,
    end_time                TIMESTAMPTZ,
    day                     DATE NOT NULL,      -- UTC day of start_time: what reports group by
    duration_s              DOUBLE,
    service_name            VARCHAR,
    provider                VARCHAR NOT NULL,   -- gen_ai.provider.name
    operation               VARCHAR,            -- gen_ai.operation.name
    request_model           VARCHAR,
    response_model          VARCHAR,
    response_id             VARCHAR,
    user_id                 VARCHAR,
    project_id              VARCHAR,
    action_type             VARCHAR,
    input_tokens            BIGINT,             -- includes cached (Gemini: prompt + tool-use prompt)
    output_tokens           BIGINT,             -- includes reasoning (Gemini: candidates + thoughts)
    cache_read_input_tokens BIGINT,
    reasoning_output_tokens BIGINT,
    streaming               BOOLEAN,
    time_to_first_chunk_s   DOUBLE,
    finish_reasons          VARCHAR[],
    status_code             INTEGER,            -- http.response.status_code
    error_type              VARCHAR,            -- NULL when the call succeeded
    server_address          VARCHAR,
    requests_limit          BIGINT,             -- Groq: per day
    requests_remaining      BIGINT,
    requests_reset_s        DOUBLE,
    tokens_limit            BIGINT,             -- Groq: per minute
    tokens_remaining        BIGINT,
    tokens_reset_s          DOUBLE,
    retry_after_s           DOUBLE,
    quota_id                VARCHAR,            -- Gemini 429 QuotaFailure quotaId
    cost_usd                DOUBLE,             -- NULL when unpriced
    cost_status             VARCHAR,            -- priced | unpriced
    attributes              JSON,               -- remaining span attributes
    resource_attributes     JSON
);

CREATE TABLE IF NOT EXISTS ai_quota_snapshot (
    time         TIMESTAMPTZ NOT NULL,
    service_name VARCHAR,
    provider     VARCHAR NOT NULL,
    model        VARCHAR,
    resource     VARCHAR NOT NULL,  -- requests | tokens
    "window"     VARCHAR NOT NULL,  -- 1m | 1d
    source       VARCHAR NOT NULL,  -- header | estimate
    "limit"      DOUBLE,
    remaining    DOUBLE,
    utilization  DOUBLE
);

CREATE TABLE IF NOT EXISTS model_prices (
    provider                  VARCHAR NOT NULL,
    model                     VARCHAR NOT NULL, -- exact name or glob pattern (gemini-2.0-flash-0*)
    input_usd_per_mtok        DOUBLE NOT NULL,
    output_usd_per_mtok       DOUBLE NOT NULL,
    cached_input_usd_per_mtok DOUBLE,           -- NULL: cached input is billed as input
    min_input_tokens          BIGINT NOT NULL DEFAULT 0, -- tier applies from this many input tokens
    effective_from            DATE NOT NULL,
    effective_to              DATE,             -- NULL: still in force; exclusive
    source                    VARCHAR
);

CREATE TABLE IF NOT EXISTS ai_usage_daily (
    day                     DATE NOT NULL,
    provider                VARCHAR NOT NULL,
    model                   VARCHAR NOT NULL,  -- response model, else request model, else ''
    service_name            VARCHAR NOT NULL,
    user_id                 VARCHAR NOT NULL,  -- '' when unattributed
    project_id              VARCHAR NOT NULL,
    action_type             VARCHAR NOT NULL,
    requests                BIGINT NOT NULL,
    errors                  BIGINT NOT NULL,
    rate_limited            BIGINT NOT NULL,   -- HTTP 429
    streamed                BIGINT NOT NULL,
    input_tokens            BIGINT NOT NULL,
    output_tokens           BIGINT NOT NULL,
    cache_read_input_tokens BIGINT NOT NULL,
    reasoning_output_tokens BIGINT NOT NULL,
    cost_usd                DOUBLE NOT NULL,   -- sum over priced requests
    unpriced_requests       BIGINT NOT NULL,
    duration_s              DOUBLE NOT NULL,
    last_seen               TIMESTAMPTZ,
    PRIMARY KEY (day, provider, model, service_name, user_id, project_id, action_type)
);
