-- A small aiusage data set for running the report files outside Go (check.mjs) and for
-- the CLI tests: two days of Groq and Gemini calls, a priced and an unpriced model, a
-- stream, an error, 429s, quota snapshots, a price table and budgets. Run after the schema
-- migrations (internal/schema/migrations/*.sql).

INSERT INTO model_prices (provider, model, service_tier, min_input_tokens, unit, usd, per, effective_from, effective_to, checked, source) VALUES
    ('groq', 'llama-3.3-70b-versatile', 'standard', 0, 'input_tokens', 0.59, 1e6, DATE '2024-12-06', NULL, DATE '2026-11-01', 'fixture'),
    ('groq', 'llama-3.3-70b-versatile', 'standard', 0, 'output_tokens', 0.79, 1e6, DATE '2024-12-06', NULL, DATE '2026-11-01', 'fixture'),
    ('gcp.gemini', 'gemini-2.5-flash', 'standard', 0, 'input_tokens', 0.30, 1e6, DATE '2025-06-17', DATE '2026-11-02', DATE '2026-11-01', 'fixture'),
    ('gcp.gemini', 'gemini-2.5-flash', 'standard', 0, 'output_tokens', 2.50, 1e6, DATE '2025-06-17', DATE '2026-11-02', DATE '2026-11-01', 'fixture'),
    ('gcp.gemini', 'gemini-2.5-flash', 'standard', 0, 'input_tokens', 0.40, 1e6, DATE '2026-11-02', NULL, DATE '2026-11-01', 'fixture'),
    ('gcp.gemini', 'gemini-2.5-flash', 'standard', 0, 'output_tokens', 3.00, 1e6, DATE '2026-11-02', NULL, DATE '2026-11-01', 'fixture');

INSERT INTO ai_usage_log (trace_id, span_id, start_time, day, duration_s, service_name, provider, operation,
                          request_model, response_model, user_id, project_id, action_type,
                          input_tokens, output_tokens, cache_read_input_tokens, reasoning_output_tokens,
                          streaming, status_code, error_type, requests_limit, requests_remaining, requests_reset_s,
                          tokens_limit, tokens_remaining, tokens_reset_s, retry_after_s, quota_id, cost_usd, cost_status)
VALUES
    ('t1', 's1', TIMESTAMPTZ '2026-11-01 09:00:00+00', DATE '2026-11-01', 0.5, 'voice-app', 'groq', 'chat',
     'llama-3.3-70b-versatile', 'llama-3.3-70b-versatile', 'ana', 'voice', 'transcribe',
     1000, 200, 0, 0, false, 200, NULL, 1000, 999, 86.4, 6000, 4800, 12.0, NULL, NULL, 0.000748, 'priced'),
    ('t2', 's2', TIMESTAMPTZ '2026-11-01 09:00:30+00', DATE '2026-11-01', 1.5, 'voice-app', 'gcp.gemini', 'generate_content',
     'gemini-2.5-flash', 'gemini-2.5-flash', 'bo', 'voice', 'summarize',
     2000, 400, 0, 100, true, 200, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0016, 'priced'),
    ('t3', 's3', TIMESTAMPTZ '2026-11-02 10:00:00+00', DATE '2026-11-02', 0.7, 'voice-app', 'gcp.gemini', 'generate_content',
     'gemini-2.5-flash', 'gemini-2.5-flash', 'ana', 'search', 'answer',
     3000, 100, 0, 0, false, 200, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0015, 'priced'),
    ('t4', 's4', TIMESTAMPTZ '2026-11-02 10:00:10+00', DATE '2026-11-02', 0.9, 'voice-app', 'groq', 'chat',
     'groq/compound-mini', 'groq/compound-mini', NULL, 'search', NULL,
     500, 50, 0, 0, false, 200, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'unpriced'),
    ('t5', 's5', TIMESTAMPTZ '2026-11-02 10:00:20+00', DATE '2026-11-02', 0.1, 'voice-app', 'groq', 'chat',
     'llama-3.3-70b-versatile', NULL, 'bo', 'voice', 'transcribe',
     NULL, NULL, NULL, NULL, false, 429, 'rate_limit_exceeded', 1000, 0, 300.0, 6000, 6000, 0.5, 300.0, NULL, NULL, NULL),
    ('t6', 's6', TIMESTAMPTZ '2026-11-02 10:00:40+00', DATE '2026-11-02', 0.1, 'voice-app', 'gcp.gemini', 'generate_content',
     'gemini-2.5-flash', NULL, 'ana', 'voice', 'answer',
     NULL, NULL, NULL, NULL, false, 429, 'RESOURCE_EXHAUSTED', NULL, NULL, NULL, NULL, NULL, NULL, 20.5,
     'GenerateRequestsPerDayPerProjectPerModel-FreeTier', NULL, NULL),
    ('t7', 's7', TIMESTAMPTZ '2026-11-02 10:01:00+00', DATE '2026-11-02', 2.0, 'voice-app', 'groq', 'chat',
     'llama-3.3-70b-versatile', NULL, 'cy', 'voice', 'answer',
     NULL, NULL, NULL, NULL, true, 500, '500', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

INSERT INTO ai_quota_snapshot VALUES
    (TIMESTAMPTZ '2026-11-02 10:00:40+00', 'voice-app', 'gcp.gemini', 'gemini-2.5-flash', 'requests', '1d', 'estimate', 20, 1, 0.95),
    (TIMESTAMPTZ '2026-11-02 10:00:40+00', 'voice-app', 'gcp.gemini', 'gemini-2.5-flash', 'tokens', '1m', 'estimate', 250000, 247000, 0.012);

INSERT INTO budgets (name, scope, scope_value, period, time_zone, amount_usd, thresholds, provider_cap) VALUES
    ('voice-month', 'project', 'voice', 'month', 'Europe/Paris', 0.01, [0.5, 0.8, 1.0], false),
    ('everything-day', 'all', '', 'day', 'America/Los_Angeles', 0.001, [0.5, 1.0], false),
    ('gemini-cap', 'provider', 'gcp.gemini', 'month', 'America/Los_Angeles', 100, [0.8, 1.0], true);
