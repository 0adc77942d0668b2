-- aiusage storage, version 5: every billed unit and service tier, prices per billed unit,
-- and the pricing rule the reports share.
--
-- ai_usage_log gains a column per billed unit beyond the GenAI totals (each a part of the
-- total it names, as the provider reports it), the requested and served service tiers, the
-- tier a call was priced at and the units it had no rate for. model_prices becomes one row
-- per billed unit (it was one per model), with service tiers, a minimum per request and
-- the day each price was checked. ai_usage_daily keeps every unit and, in its key, the
-- served tier and the prompt-size tier a call reached, so that days only the roll-up holds
-- are repriced like the others. The macros at the end are the pricing rule of
-- instrumentation/pricing written in SQL: the reports price stored calls through them.

ALTER TABLE ai_usage_log ADD COLUMN audio_input_tokens BIGINT;            -- part of input_tokens
ALTER TABLE ai_usage_log ADD COLUMN image_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN video_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN document_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN audio_cache_read_input_tokens BIGINT; -- part of cache_read_input_tokens and audio_input_tokens
ALTER TABLE ai_usage_log ADD COLUMN image_cache_read_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN video_cache_read_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN document_cache_read_input_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN audio_output_tokens BIGINT;           -- part of output_tokens
ALTER TABLE ai_usage_log ADD COLUMN image_output_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN video_output_tokens BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN audio_seconds DOUBLE;                 -- measured duration of the audio sent
ALTER TABLE ai_usage_log ADD COLUMN audio_billed_seconds DOUBLE;          -- after the provider's minimum per request
ALTER TABLE ai_usage_log ADD COLUMN input_characters BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN web_search_queries BIGINT;
ALTER TABLE ai_usage_log ADD COLUMN request_service_tier VARCHAR;         -- standard | flex | priority | batch | provisioned
ALTER TABLE ai_usage_log ADD COLUMN response_service_tier VARCHAR;        -- the tier served, and billed
ALTER TABLE ai_usage_log ADD COLUMN cost_service_tier VARCHAR;            -- the tier whose rates priced the call
ALTER TABLE ai_usage_log ADD COLUMN cost_missing_unit VARCHAR;            -- units used without a rate, comma-separated

-- model_prices, one row per billed unit. A table that is exactly the one aiusage shipped
-- before (whose gpt-oss-20b price was wrong) is not carried over: the exporter fills the
-- current one. Any other table is: its rows become input, output and cached input rows.
CREATE TABLE model_prices_v3 (
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,                    -- exact name or glob pattern (gemini-2.0-flash-0*)
    service_tier     VARCHAR NOT NULL DEFAULT 'standard', -- standard | flex | priority | batch | provisioned
    min_input_tokens BIGINT NOT NULL DEFAULT 0,           -- the price applies from this prompt size on
    unit             VARCHAR NOT NULL,                    -- billed unit: input_tokens, audio_billed_seconds, ...
    usd              DOUBLE NOT NULL,                     -- USD per `per` units
    per              DOUBLE NOT NULL,                     -- 1e6 tokens or characters, 3600 s, 1000 searches
    min_billed       DOUBLE,                              -- least quantity billed per request (Whisper: 10 s)
    effective_from   DATE NOT NULL,
    effective_to     DATE,                                -- NULL: still in force; exclusive
    checked          DATE,                                -- the day the price was checked against source
    source           VARCHAR
);

CREATE TEMP TABLE model_prices_shipped_v1 AS
SELECT provider, model, input_usd_per_mtok::DOUBLE AS input_usd_per_mtok, output_usd_per_mtok::DOUBLE AS output_usd_per_mtok,
       cached_input_usd_per_mtok::DOUBLE AS cached_input_usd_per_mtok, min_input_tokens::BIGINT AS min_input_tokens,
       effective_from, effective_to::DATE AS effective_to, source
FROM (VALUES
    ('groq', 'openai/gpt-oss-120b', 0.15, 0.60, 0.075, 0, DATE '2025-08-05', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'openai/gpt-oss-20b', 0.05, 0.08, NULL, 0, DATE '2025-08-05', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'llama-3.1-8b-instant', 0.05, 0.08, NULL, 0, DATE '2024-07-23', NULL, 'groq.com/pricing (checked 2026-11)'),
    ('groq', 'llama-3.3-70b-versatile', 0.59, 0.79, NULL, 0, DATE '2024-12-06', NULL, 'groq.com/pricing (checked 2026-11; reported decommissioned 2026-08)'),
    ('gcp.gemini', 'gemini-2.5-flash', 0.30, 2.50, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.5-flash-preview-*', 0.30, 2.50, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.5-pro', 1.25, 10.00, NULL, 0, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11; prompts up to 200K tokens)'),
    ('gcp.gemini', 'gemini-2.5-pro', 2.50, 15.00, NULL, 200001, DATE '2025-06-17', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11; prompts over 200K tokens)'),
    ('gcp.gemini', 'gemini-2.0-flash', 0.10, 0.40, NULL, 0, DATE '2025-02-05', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-2.0-flash-0*', 0.10, 0.40, NULL, 0, DATE '2025-02-05', NULL, 'ai.google.dev/gemini-api/docs/pricing (checked 2026-11)'),
    ('gcp.gemini', 'gemini-1.5-flash', 0.075, 0.30, NULL, 0, DATE '2024-05-14', NULL, 'ai.google.dev/gemini-api/docs/pricing (retired)'),
    ('gcp.gemini', 'gemini-1.5-flash-0*', 0.075, 0.30, NULL, 0, DATE '2024-05-14', NULL, 'ai.google.dev/gemini-api/docs/pricing (retired)')
) AS v(provider, model, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, min_input_tokens, effective_from, effective_to, source);

CREATE TEMP TABLE model_prices_kept AS
SELECT * FROM model_prices
WHERE EXISTS (SELECT * FROM model_prices EXCEPT SELECT * FROM model_prices_shipped_v1)
   OR EXISTS (SELECT * FROM model_prices_shipped_v1 EXCEPT SELECT * FROM model_prices);

INSERT INTO model_prices_v3 (provider, model, service_tier, min_input_tokens, unit, usd, per, effective_from, effective_to, source)
SELECT provider, model, 'standard', min_input_tokens, 'input_tokens', input_usd_per_mtok, 1e6, effective_from, effective_to, source FROM model_prices_kept
UNION ALL
SELECT provider, model, 'standard', min_input_tokens, 'output_tokens', output_usd_per_mtok, 1e6, effective_from, effective_to, source FROM model_prices_kept
UNION ALL
SELECT provider, model, 'standard', min_input_tokens, 'cache_read_input_tokens', cached_input_usd_per_mtok, 1e6, effective_from, effective_to, source
FROM model_prices_kept WHERE cached_input_usd_per_mtok IS NOT NULL;

DROP TABLE model_prices;
ALTER TABLE model_prices_v3 RENAME TO model_prices;

-- Where model_prices came from: the exporter replaces a table that came from an earlier
-- aiusage's built-in one with the current built-in one, and never touches one an analyst
-- loaded (a file, an import) or one carried over from before this version.
CREATE TABLE model_prices_origin (
    origin    VARCHAR NOT NULL,     -- builtin | file | migrated
    name      VARCHAR,              -- builtin: the table's fingerprint; file: its path
    loaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO model_prices_origin (origin, name)
SELECT 'migrated', 'model_prices of schema version 2' WHERE EXISTS (SELECT 1 FROM model_prices);

DROP TABLE model_prices_kept;
DROP TABLE model_prices_shipped_v1;

-- ai_usage_daily: the same roll-up with every billed unit, keyed also by the tier served
-- and the prompt-size tier reached. Rows rolled up before this version were all standard
-- and are kept at prompt-size tier 0.
CREATE TABLE ai_usage_daily_v3 (
    day                              DATE NOT NULL,
    provider                         VARCHAR NOT NULL,
    model                            VARCHAR NOT NULL,  -- response model, else request model, else ''
    service_tier                     VARCHAR NOT NULL DEFAULT 'standard', -- served, else requested, else standard
    input_tier                       BIGINT NOT NULL DEFAULT 0, -- the highest min_input_tokens of model_prices the prompt reached
    service_name                     VARCHAR NOT NULL,
    user_id                          VARCHAR NOT NULL,  -- '' when unattributed
    project_id                       VARCHAR NOT NULL,
    action_type                      VARCHAR NOT NULL,
    requests                         BIGINT NOT NULL,
    errors                           BIGINT NOT NULL,
    rate_limited                     BIGINT NOT NULL,   -- HTTP 429
    streamed                         BIGINT NOT NULL,
    input_tokens                     BIGINT NOT NULL,
    output_tokens                    BIGINT NOT NULL,
    cache_read_input_tokens          BIGINT NOT NULL,
    reasoning_output_tokens          BIGINT NOT NULL,
    audio_input_tokens               BIGINT NOT NULL DEFAULT 0,
    image_input_tokens               BIGINT NOT NULL DEFAULT 0,
    video_input_tokens               BIGINT NOT NULL DEFAULT 0,
    document_input_tokens            BIGINT NOT NULL DEFAULT 0,
    audio_cache_read_input_tokens    BIGINT NOT NULL DEFAULT 0,
    image_cache_read_input_tokens    BIGINT NOT NULL DEFAULT 0,
    video_cache_read_input_tokens    BIGINT NOT NULL DEFAULT 0,
    document_cache_read_input_tokens BIGINT NOT NULL DEFAULT 0,
    audio_output_tokens              BIGINT NOT NULL DEFAULT 0,
    image_output_tokens              BIGINT NOT NULL DEFAULT 0,
    video_output_tokens              BIGINT NOT NULL DEFAULT 0,
    audio_seconds                    DOUBLE NOT NULL DEFAULT 0,
    audio_billed_seconds             DOUBLE NOT NULL DEFAULT 0, -- billed, else measured, per call (ai_audio_billed_seconds)
    input_characters                 BIGINT NOT NULL DEFAULT 0,
    web_search_queries               BIGINT NOT NULL DEFAULT 0,
    web_search_requests              BIGINT NOT NULL DEFAULT 0, -- calls that ran a search
    no_usage_requests                BIGINT NOT NULL DEFAULT 0, -- calls that succeeded without reporting usage: cost unknown
    unbilled_requests                BIGINT NOT NULL DEFAULT 0, -- calls that failed without usage: not billed
    cost_usd                         DOUBLE NOT NULL,   -- sum of the cost recorded at the calls
    unpriced_requests                BIGINT NOT NULL,   -- calls recorded unpriced
    duration_s                       DOUBLE NOT NULL,
    last_seen                        TIMESTAMPTZ,
    PRIMARY KEY (day, provider, model, service_tier, input_tier, service_name, user_id, project_id, action_type)
);
INSERT INTO ai_usage_daily_v3 BY NAME SELECT * FROM ai_usage_daily;
DROP TABLE ai_usage_daily;
ALTER TABLE ai_usage_daily_v3 RENAME TO ai_usage_daily;

-- The pricing rule in SQL. Each fact once: the model a call is priced as, the tier it is
-- billed in, the prompt-size tier it reached, the audio duration billed.

-- ai_call_model is the model a call is recorded and priced under: the response model, else
-- the request model, else ''.
CREATE OR REPLACE MACRO ai_call_model(response_model, request_model) AS
    coalesce(nullif(response_model, ''), nullif(request_model, ''), '');

-- ai_served_tier is the tier a call is billed in: the one served, else the one requested,
-- else standard.
CREATE OR REPLACE MACRO ai_served_tier(response_service_tier, request_service_tier) AS
    coalesce(nullif(response_service_tier, ''), nullif(request_service_tier, ''), 'standard');

-- ai_input_tier is the highest prompt-size tier (min_input_tokens) of model_prices that a
-- prompt of n input tokens reaches; 0 for most calls, which no list work is spent on.
CREATE OR REPLACE MACRO ai_input_tier(n) AS
    CASE WHEN coalesce(n, 0) < (SELECT coalesce(min(min_input_tokens), 9223372036854775807) FROM model_prices WHERE min_input_tokens > 0)
         THEN 0
         ELSE coalesce(list_last(list_filter(
                  (SELECT list(DISTINCT min_input_tokens ORDER BY min_input_tokens) FROM model_prices), t -> t <= n)), 0)
    END;

-- ai_free_operation says whether an operation is not billed (semconv.Unbilled, the
-- instrumentation's rule): counting tokens, and a batch job's own calls (each result it answers is billed
-- as a call of its own). Such a call without usage is not billed, not of unknown cost.
CREATE OR REPLACE MACRO ai_free_operation(operation) AS
    coalesce(operation IN ('count_tokens', 'batch'), false);

-- ai_audio_billed_seconds is the audio duration billed for a call: the one recorded after the
-- provider's minimum, else the measured one, else 0.
CREATE OR REPLACE MACRO ai_audio_billed_seconds(billed, measured) AS
    CASE WHEN billed > 0 THEN billed WHEN measured > 0 THEN measured ELSE 0 END;

-- ai_unit_names lists the names of the units whose bits a mask sets (bit k: the k-th
-- unit of pricing.Units), comma-separated, NULL for none.
CREATE OR REPLACE MACRO ai_unit_names(mask) AS
    nullif(array_to_string(list_filter(['input_tokens', 'cache_read_input_tokens', 'audio_input_tokens', 'audio_cache_read_input_tokens', 'image_input_tokens', 'image_cache_read_input_tokens', 'video_input_tokens', 'video_cache_read_input_tokens', 'document_input_tokens', 'document_cache_read_input_tokens', 'output_tokens', 'reasoning_output_tokens', 'audio_output_tokens', 'image_output_tokens', 'video_output_tokens', 'audio_billed_seconds', 'input_characters', 'web_search_queries', 'web_search_requests', 'requests'], (u, i) -> (mask >> (i - 1)) & 1 = 1), ','), '');

-- ai_usage_priced prices the calls of [first_day, last_day], optionally of one user,
-- project or model (NULL: all), as instrumentation/pricing prices a call: a row per call
-- from ai_usage_log, and a row per roll-up group from ai_usage_daily for the days
-- retention has emptied. Each total is split into billed units (the parts billed apart
-- taken out, parts cut to their totals: pricing.QuantitiesOf), each unit priced at the
-- rows of model_prices in force that day: those of the model's exact name, else of the
-- longest glob matching it; of the served tier, else of the standard tier (priced_tier);
-- per unit the row of the highest prompt-size tier the prompt reaches, else the rate of
-- the first fallback unit (cached audio: cached audio, cached, audio input, input). A
-- unit used without a rate is missing (missing_mask; status partially_priced); a model
-- without rows, a call of which nothing is priced, and a call that succeeded without
-- reporting usage are unpriced: cost NULL, never 0. A call that failed without usage is
-- not billed (cost 0, not unpriced). Rows of the roll-up are priced as one call of their
-- sums, with the group's status.
CREATE OR REPLACE MACRO ai_usage_priced(first_day, last_day, only_user, only_project, only_model) AS TABLE
WITH raw_days AS (
    SELECT DISTINCT day FROM ai_usage_log WHERE day BETWEEN first_day AND last_day
),
calls AS (
    SELECT day, provider,
           ai_call_model(response_model, request_model) AS model,
           ai_served_tier(response_service_tier, request_service_tier) AS service_tier,
           ai_input_tier(input_tokens) AS input_tier,
           coalesce(user_id, '') AS user_id,
           coalesce(project_id, '') AS project_id,
           coalesce(action_type, '') AS action_type,
           coalesce(operation, '') AS operation,
           1 AS requests,
           (error_type IS NOT NULL OR coalesce(status_code >= 400, false))::BIGINT AS errors,
           (status_code = 429)::BIGINT AS rate_limited,
           coalesce(streaming, false)::BIGINT AS streamed,
           input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens,
           audio_input_tokens, image_input_tokens, video_input_tokens, document_input_tokens,
           audio_cache_read_input_tokens, image_cache_read_input_tokens, video_cache_read_input_tokens, document_cache_read_input_tokens,
           audio_output_tokens, image_output_tokens, video_output_tokens,
           audio_seconds,
           ai_audio_billed_seconds(audio_billed_seconds, audio_seconds) AS audio_billed_seconds,
           input_characters, web_search_queries,
           (web_search_queries > 0)::BIGINT AS web_search_requests,
           (input_tokens IS NULL AND error_type IS NULL AND NOT ai_free_operation(operation))::BIGINT AS no_usage_requests,
           (input_tokens IS NULL AND (error_type IS NOT NULL OR ai_free_operation(operation)))::BIGINT AS unbilled_requests,
           duration_s, start_time AS last_seen
    FROM ai_usage_log
    WHERE day BETWEEN first_day AND last_day
      AND (only_user IS NULL OR coalesce(user_id, '') = only_user)
      AND (only_project IS NULL OR coalesce(project_id, '') = only_project)
      AND (only_model IS NULL OR ai_call_model(response_model, request_model) = only_model)
    UNION ALL BY NAME
    SELECT day, provider, model, service_tier, input_tier, user_id, project_id, action_type,
           '' AS operation, -- the roll-up keeps no operation
           requests, errors, rate_limited, streamed,
           input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens,
           audio_input_tokens, image_input_tokens, video_input_tokens, document_input_tokens,
           audio_cache_read_input_tokens, image_cache_read_input_tokens, video_cache_read_input_tokens, document_cache_read_input_tokens,
           audio_output_tokens, image_output_tokens, video_output_tokens,
           audio_seconds, audio_billed_seconds, input_characters, web_search_queries, web_search_requests,
           no_usage_requests, unbilled_requests, duration_s, last_seen
    FROM ai_usage_daily
    WHERE day BETWEEN first_day AND last_day
      AND day NOT IN (SELECT day FROM raw_days)
      AND (only_user IS NULL OR user_id = only_user)
      AND (only_project IS NULL OR project_id = only_project)
      AND (only_model IS NULL OR model = only_model)
),
-- Counts below zero count as zero; a part is cut to its totals (pricing.QuantitiesOf).
clamped AS (
    SELECT *,
           greatest(coalesce(input_tokens, 0), 0) AS n_in,
           least(greatest(coalesce(cache_read_input_tokens, 0), 0), n_in) AS n_cached,
           least(greatest(coalesce(audio_input_tokens, 0), 0), n_in) AS n_audio,
           least(greatest(coalesce(audio_cache_read_input_tokens, 0), 0), n_cached, n_audio) AS n_audio_cached,
           least(greatest(coalesce(image_input_tokens, 0), 0), n_in) AS n_image,
           least(greatest(coalesce(image_cache_read_input_tokens, 0), 0), n_cached, n_image) AS n_image_cached,
           least(greatest(coalesce(video_input_tokens, 0), 0), n_in) AS n_video,
           least(greatest(coalesce(video_cache_read_input_tokens, 0), 0), n_cached, n_video) AS n_video_cached,
           least(greatest(coalesce(document_input_tokens, 0), 0), n_in) AS n_document,
           least(greatest(coalesce(document_cache_read_input_tokens, 0), 0), n_cached, n_document) AS n_document_cached,
           greatest(coalesce(output_tokens, 0), 0) AS n_out,
           least(greatest(coalesce(reasoning_output_tokens, 0), 0), n_out) AS n_reasoning,
           least(greatest(coalesce(audio_output_tokens, 0), 0), n_out) AS n_audio_out,
           least(greatest(coalesce(image_output_tokens, 0), 0), n_out) AS n_image_out,
           least(greatest(coalesce(video_output_tokens, 0), 0), n_out) AS n_video_out
    FROM calls
),
-- Each billed unit's quantity: a total less the parts billed apart.
billed AS (
    SELECT day, provider, model, service_tier, input_tier, user_id, project_id, action_type, operation,
           requests, errors, rate_limited, streamed, no_usage_requests, unbilled_requests, duration_s, last_seen,
           -- A call without usage adds no tokens: reports sum zeros, never NULLs.
           coalesce(input_tokens, 0) AS input_tokens, coalesce(output_tokens, 0) AS output_tokens,
           coalesce(cache_read_input_tokens, 0) AS cache_read_input_tokens,
           coalesce(reasoning_output_tokens, 0) AS reasoning_output_tokens, coalesce(audio_seconds, 0) AS audio_seconds,
           greatest(n_in - n_cached - (n_audio - n_audio_cached) - (n_image - n_image_cached)
                    - (n_video - n_video_cached) - (n_document - n_document_cached), 0)::DOUBLE AS q_input_tokens,
           greatest(n_cached - n_audio_cached - n_image_cached - n_video_cached - n_document_cached, 0)::DOUBLE AS q_cache_read_input_tokens,
           (n_audio - n_audio_cached)::DOUBLE AS q_audio_input_tokens,
           n_audio_cached::DOUBLE AS q_audio_cache_read_input_tokens,
           (n_image - n_image_cached)::DOUBLE AS q_image_input_tokens,
           n_image_cached::DOUBLE AS q_image_cache_read_input_tokens,
           (n_video - n_video_cached)::DOUBLE AS q_video_input_tokens,
           n_video_cached::DOUBLE AS q_video_cache_read_input_tokens,
           (n_document - n_document_cached)::DOUBLE AS q_document_input_tokens,
           n_document_cached::DOUBLE AS q_document_cache_read_input_tokens,
           greatest(n_out - n_reasoning - n_audio_out - n_image_out - n_video_out, 0)::DOUBLE AS q_output_tokens,
           n_reasoning::DOUBLE AS q_reasoning_output_tokens,
           n_audio_out::DOUBLE AS q_audio_output_tokens,
           n_image_out::DOUBLE AS q_image_output_tokens,
           n_video_out::DOUBLE AS q_video_output_tokens,
           CASE WHEN audio_billed_seconds > 0 THEN audio_billed_seconds ELSE 0 END::DOUBLE AS q_audio_billed_seconds,
           greatest(coalesce(input_characters, 0), 0)::DOUBLE AS q_input_characters,
           greatest(coalesce(web_search_queries, 0), 0)::DOUBLE AS q_web_search_queries,
           coalesce(web_search_requests, 0)::DOUBLE AS q_web_search_requests,
           requests::DOUBLE AS q_requests
    FROM clamped
),
-- Prices are resolved once per day, provider, model, served tier and prompt-size tier,
-- from a narrow scan of the calls.
price_keys AS (
    SELECT DISTINCT day, provider, ai_call_model(response_model, request_model) AS model,
           ai_served_tier(response_service_tier, request_service_tier) AS service_tier, ai_input_tier(input_tokens) AS input_tier
    FROM ai_usage_log
    WHERE day BETWEEN first_day AND last_day
    UNION
    SELECT DISTINCT day, provider, model, service_tier, input_tier
    FROM ai_usage_daily
    WHERE day BETWEEN first_day AND last_day
),
entry AS (
    SELECT k.*, p.model AS price_model
    FROM price_keys k
    JOIN model_prices p
      ON p.provider = k.provider
     AND k.model <> ''
     AND (p.model = k.model OR k.model GLOB p.model)
     AND k.day >= p.effective_from AND (p.effective_to IS NULL OR k.day < p.effective_to)
    QUALIFY row_number() OVER (PARTITION BY k.day, k.provider, k.model, k.service_tier, k.input_tier
                               ORDER BY p.model = k.model DESC, length(p.model) DESC, p.model) = 1
),
tier AS (
    SELECT e.day, e.provider, e.model, e.service_tier, e.input_tier, e.price_model,
           CASE WHEN bool_or(p.service_tier = e.service_tier) THEN e.service_tier
                WHEN bool_or(p.service_tier = 'standard') THEN 'standard' END AS priced_tier
    FROM entry e
    JOIN model_prices p
      ON p.provider = e.provider AND p.model = e.price_model
     AND e.day >= p.effective_from AND (p.effective_to IS NULL OR e.day < p.effective_to)
    GROUP BY e.day, e.provider, e.model, e.service_tier, e.input_tier, e.price_model
),
-- The rows of each unit: per key, the row of the highest prompt-size tier reached.
rate AS (
    SELECT t.day, t.provider, t.model, t.service_tier, t.input_tier, t.priced_tier, p.unit, p.usd / p.per AS usd_per_unit
    FROM tier t
    JOIN model_prices p
      ON p.provider = t.provider AND p.model = t.price_model AND p.service_tier = t.priced_tier
     AND t.day >= p.effective_from AND (p.effective_to IS NULL OR t.day < p.effective_to)
     AND p.min_input_tokens <= t.input_tier
    QUALIFY row_number() OVER (PARTITION BY t.day, t.provider, t.model, t.service_tier, t.input_tier, p.unit
                               ORDER BY p.min_input_tokens DESC) = 1
),
-- The rate each unit is billed at (USD per unit): its own, else that of the first
-- fallback unit with one (pricing.Unit.Fallbacks).
rates AS (
    SELECT day, provider, model, service_tier, input_tier, priced_tier,
           m['input_tokens'] AS b_input_tokens,
           coalesce(m['cache_read_input_tokens'], m['input_tokens']) AS b_cache_read_input_tokens,
           coalesce(m['audio_input_tokens'], m['input_tokens']) AS b_audio_input_tokens,
           coalesce(m['audio_cache_read_input_tokens'], m['cache_read_input_tokens'], m['audio_input_tokens'], m['input_tokens']) AS b_audio_cache_read_input_tokens,
           coalesce(m['image_input_tokens'], m['input_tokens']) AS b_image_input_tokens,
           coalesce(m['image_cache_read_input_tokens'], m['cache_read_input_tokens'], m['image_input_tokens'], m['input_tokens']) AS b_image_cache_read_input_tokens,
           coalesce(m['video_input_tokens'], m['input_tokens']) AS b_video_input_tokens,
           coalesce(m['video_cache_read_input_tokens'], m['cache_read_input_tokens'], m['video_input_tokens'], m['input_tokens']) AS b_video_cache_read_input_tokens,
           coalesce(m['document_input_tokens'], m['input_tokens']) AS b_document_input_tokens,
           coalesce(m['document_cache_read_input_tokens'], m['cache_read_input_tokens'], m['document_input_tokens'], m['input_tokens']) AS b_document_cache_read_input_tokens,
           m['output_tokens'] AS b_output_tokens,
           coalesce(m['reasoning_output_tokens'], m['output_tokens']) AS b_reasoning_output_tokens,
           coalesce(m['audio_output_tokens'], m['output_tokens']) AS b_audio_output_tokens,
           coalesce(m['image_output_tokens'], m['output_tokens']) AS b_image_output_tokens,
           coalesce(m['video_output_tokens'], m['output_tokens']) AS b_video_output_tokens,
           m['audio_billed_seconds'] AS b_audio_billed_seconds,
           m['input_characters'] AS b_input_characters,
           m['web_search_queries'] AS b_web_search_queries,
           m['web_search_requests'] AS b_web_search_requests,
           m['requests'] AS b_requests
    FROM (SELECT t.day, t.provider, t.model, t.service_tier, t.input_tier, t.priced_tier,
                 map_from_entries(list({'key': r.unit, 'value': r.usd_per_unit}) FILTER (r.unit IS NOT NULL)) AS m
          FROM tier t
          LEFT JOIN rate r USING (day, provider, model, service_tier, input_tier, priced_tier)
          WHERE t.priced_tier IS NOT NULL
          GROUP BY ALL)
),
costs AS (
    SELECT b.*, r.priced_tier,
           b.q_input_tokens * r.b_input_tokens AS input_tokens_cost_usd,
           b.q_cache_read_input_tokens * r.b_cache_read_input_tokens AS cache_read_input_tokens_cost_usd,
           b.q_audio_input_tokens * r.b_audio_input_tokens AS audio_input_tokens_cost_usd,
           b.q_audio_cache_read_input_tokens * r.b_audio_cache_read_input_tokens AS audio_cache_read_input_tokens_cost_usd,
           b.q_image_input_tokens * r.b_image_input_tokens AS image_input_tokens_cost_usd,
           b.q_image_cache_read_input_tokens * r.b_image_cache_read_input_tokens AS image_cache_read_input_tokens_cost_usd,
           b.q_video_input_tokens * r.b_video_input_tokens AS video_input_tokens_cost_usd,
           b.q_video_cache_read_input_tokens * r.b_video_cache_read_input_tokens AS video_cache_read_input_tokens_cost_usd,
           b.q_document_input_tokens * r.b_document_input_tokens AS document_input_tokens_cost_usd,
           b.q_document_cache_read_input_tokens * r.b_document_cache_read_input_tokens AS document_cache_read_input_tokens_cost_usd,
           b.q_output_tokens * r.b_output_tokens AS output_tokens_cost_usd,
           b.q_reasoning_output_tokens * r.b_reasoning_output_tokens AS reasoning_output_tokens_cost_usd,
           b.q_audio_output_tokens * r.b_audio_output_tokens AS audio_output_tokens_cost_usd,
           b.q_image_output_tokens * r.b_image_output_tokens AS image_output_tokens_cost_usd,
           b.q_video_output_tokens * r.b_video_output_tokens AS video_output_tokens_cost_usd,
           b.q_audio_billed_seconds * r.b_audio_billed_seconds AS audio_billed_seconds_cost_usd,
           b.q_input_characters * r.b_input_characters AS input_characters_cost_usd,
           b.q_web_search_queries * r.b_web_search_queries AS web_search_queries_cost_usd,
           b.q_web_search_requests * r.b_web_search_requests AS web_search_requests_cost_usd,
           b.q_requests * r.b_requests AS requests_cost_usd,
           -- Bit k set: the k-th unit was used and has no rate; searches are covered by a
           -- per-query or a per-prompt rate.
           (CASE WHEN b.q_input_tokens > 0 AND r.b_input_tokens IS NULL THEN 1 ELSE 0 END
            + CASE WHEN b.q_cache_read_input_tokens > 0 AND r.b_cache_read_input_tokens IS NULL THEN 2 ELSE 0 END
            + CASE WHEN b.q_audio_input_tokens > 0 AND r.b_audio_input_tokens IS NULL THEN 4 ELSE 0 END
            + CASE WHEN b.q_audio_cache_read_input_tokens > 0 AND r.b_audio_cache_read_input_tokens IS NULL THEN 8 ELSE 0 END
            + CASE WHEN b.q_image_input_tokens > 0 AND r.b_image_input_tokens IS NULL THEN 16 ELSE 0 END
            + CASE WHEN b.q_image_cache_read_input_tokens > 0 AND r.b_image_cache_read_input_tokens IS NULL THEN 32 ELSE 0 END
            + CASE WHEN b.q_video_input_tokens > 0 AND r.b_video_input_tokens IS NULL THEN 64 ELSE 0 END
            + CASE WHEN b.q_video_cache_read_input_tokens > 0 AND r.b_video_cache_read_input_tokens IS NULL THEN 128 ELSE 0 END
            + CASE WHEN b.q_document_input_tokens > 0 AND r.b_document_input_tokens IS NULL THEN 256 ELSE 0 END
            + CASE WHEN b.q_document_cache_read_input_tokens > 0 AND r.b_document_cache_read_input_tokens IS NULL THEN 512 ELSE 0 END
            + CASE WHEN b.q_output_tokens > 0 AND r.b_output_tokens IS NULL THEN 1024 ELSE 0 END
            + CASE WHEN b.q_reasoning_output_tokens > 0 AND r.b_reasoning_output_tokens IS NULL THEN 2048 ELSE 0 END
            + CASE WHEN b.q_audio_output_tokens > 0 AND r.b_audio_output_tokens IS NULL THEN 4096 ELSE 0 END
            + CASE WHEN b.q_image_output_tokens > 0 AND r.b_image_output_tokens IS NULL THEN 8192 ELSE 0 END
            + CASE WHEN b.q_video_output_tokens > 0 AND r.b_video_output_tokens IS NULL THEN 16384 ELSE 0 END
            + CASE WHEN b.q_audio_billed_seconds > 0 AND r.b_audio_billed_seconds IS NULL THEN 32768 ELSE 0 END
            + CASE WHEN b.q_input_characters > 0 AND r.b_input_characters IS NULL THEN 65536 ELSE 0 END
            + CASE WHEN b.q_web_search_queries > 0 AND r.b_web_search_queries IS NULL AND r.b_web_search_requests IS NULL THEN 131072 ELSE 0 END) AS missing_mask,
           -- Something the call used was priced (a cost of 0 at a rate of 0 is a price).
           ((b.q_input_tokens > 0 AND r.b_input_tokens IS NOT NULL)
            OR (b.q_cache_read_input_tokens > 0 AND r.b_cache_read_input_tokens IS NOT NULL)
            OR (b.q_audio_input_tokens > 0 AND r.b_audio_input_tokens IS NOT NULL)
            OR (b.q_audio_cache_read_input_tokens > 0 AND r.b_audio_cache_read_input_tokens IS NOT NULL)
            OR (b.q_image_input_tokens > 0 AND r.b_image_input_tokens IS NOT NULL)
            OR (b.q_image_cache_read_input_tokens > 0 AND r.b_image_cache_read_input_tokens IS NOT NULL)
            OR (b.q_video_input_tokens > 0 AND r.b_video_input_tokens IS NOT NULL)
            OR (b.q_video_cache_read_input_tokens > 0 AND r.b_video_cache_read_input_tokens IS NOT NULL)
            OR (b.q_document_input_tokens > 0 AND r.b_document_input_tokens IS NOT NULL)
            OR (b.q_document_cache_read_input_tokens > 0 AND r.b_document_cache_read_input_tokens IS NOT NULL)
            OR (b.q_output_tokens > 0 AND r.b_output_tokens IS NOT NULL)
            OR (b.q_reasoning_output_tokens > 0 AND r.b_reasoning_output_tokens IS NOT NULL)
            OR (b.q_audio_output_tokens > 0 AND r.b_audio_output_tokens IS NOT NULL)
            OR (b.q_image_output_tokens > 0 AND r.b_image_output_tokens IS NOT NULL)
            OR (b.q_video_output_tokens > 0 AND r.b_video_output_tokens IS NOT NULL)
            OR (b.q_audio_billed_seconds > 0 AND r.b_audio_billed_seconds IS NOT NULL)
            OR (b.q_input_characters > 0 AND r.b_input_characters IS NOT NULL)
            OR (b.q_web_search_queries > 0 AND r.b_web_search_queries IS NOT NULL)
            OR (b.q_web_search_requests > 0 AND r.b_web_search_requests IS NOT NULL)
            OR (b.q_requests > 0 AND r.b_requests IS NOT NULL)) AS something_priced
    FROM billed b
    LEFT JOIN rates r USING (day, provider, model, service_tier, input_tier)
),
statuses AS (
    SELECT *,
           -- Calls none of which is billed (failed without usage, counting tokens, batch
           -- job calls) cost nothing, whatever the table holds for their model.
           CASE WHEN unbilled_requests = requests THEN 'priced'
                WHEN priced_tier IS NULL THEN 'unpriced'
                -- Calls that all succeeded without reporting usage: their cost is unknown.
                WHEN no_usage_requests > 0 AND no_usage_requests + unbilled_requests = requests THEN 'unpriced'
                WHEN missing_mask = 0 THEN 'priced'
                WHEN something_priced THEN 'partially_priced'
                ELSE 'unpriced' END AS status
    FROM costs
)
SELECT * EXCLUDE (something_priced, no_usage_requests, unbilled_requests, missing_mask),
       CASE WHEN priced_tier IS NOT NULL THEN missing_mask ELSE 0 END AS missing_mask,
       CASE WHEN status <> 'unpriced' THEN coalesce(input_tokens_cost_usd, 0)
               + coalesce(cache_read_input_tokens_cost_usd, 0)
               + coalesce(audio_input_tokens_cost_usd, 0)
               + coalesce(audio_cache_read_input_tokens_cost_usd, 0)
               + coalesce(image_input_tokens_cost_usd, 0)
               + coalesce(image_cache_read_input_tokens_cost_usd, 0)
               + coalesce(video_input_tokens_cost_usd, 0)
               + coalesce(video_cache_read_input_tokens_cost_usd, 0)
               + coalesce(document_input_tokens_cost_usd, 0)
               + coalesce(document_cache_read_input_tokens_cost_usd, 0)
               + coalesce(output_tokens_cost_usd, 0)
               + coalesce(reasoning_output_tokens_cost_usd, 0)
               + coalesce(audio_output_tokens_cost_usd, 0)
               + coalesce(image_output_tokens_cost_usd, 0)
               + coalesce(video_output_tokens_cost_usd, 0)
               + coalesce(audio_billed_seconds_cost_usd, 0)
               + coalesce(input_characters_cost_usd, 0)
               + coalesce(web_search_queries_cost_usd, 0)
               + coalesce(web_search_requests_cost_usd, 0)
               + coalesce(requests_cost_usd, 0) END AS cost_usd,
       -- Calls whose cost is unknown, never counted as free: those unpriced that reported
       -- usage, and those that succeeded without reporting it. A call that failed without
       -- usage is not billed.
       CASE WHEN status = 'unpriced' THEN requests - unbilled_requests ELSE no_usage_requests END AS unpriced_requests,
       -- The cost in four groups of units, as the reports split it.
       CASE WHEN status <> 'unpriced' THEN coalesce(input_tokens_cost_usd, 0)
               + coalesce(audio_input_tokens_cost_usd, 0)
               + coalesce(image_input_tokens_cost_usd, 0)
               + coalesce(video_input_tokens_cost_usd, 0)
               + coalesce(document_input_tokens_cost_usd, 0) END AS input_cost_usd,
       CASE WHEN status <> 'unpriced' THEN coalesce(cache_read_input_tokens_cost_usd, 0)
               + coalesce(audio_cache_read_input_tokens_cost_usd, 0)
               + coalesce(image_cache_read_input_tokens_cost_usd, 0)
               + coalesce(video_cache_read_input_tokens_cost_usd, 0)
               + coalesce(document_cache_read_input_tokens_cost_usd, 0) END AS cached_input_cost_usd,
       CASE WHEN status <> 'unpriced' THEN coalesce(output_tokens_cost_usd, 0)
               + coalesce(reasoning_output_tokens_cost_usd, 0)
               + coalesce(audio_output_tokens_cost_usd, 0)
               + coalesce(image_output_tokens_cost_usd, 0)
               + coalesce(video_output_tokens_cost_usd, 0) END AS output_cost_usd,
       CASE WHEN status <> 'unpriced' THEN coalesce(audio_billed_seconds_cost_usd, 0)
               + coalesce(input_characters_cost_usd, 0)
               + coalesce(web_search_queries_cost_usd, 0)
               + coalesce(web_search_requests_cost_usd, 0)
               + coalesce(requests_cost_usd, 0) END AS other_cost_usd
FROM statuses;
