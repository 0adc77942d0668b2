-- Adds one batch's aggregates (staged in aiusage_daily_batch, one row per key) to the
-- daily roll-up. Runs in the batch's transaction, so the roll-up always matches the
-- rows that landed.
INSERT INTO ai_usage_daily
SELECT * FROM aiusage_daily_batch
ON CONFLICT (day, provider, model, service_name, user_id, project_id, action_type) DO UPDATE SET
    requests                = ai_usage_daily.requests + excluded.requests,
    errors                  = ai_usage_daily.errors + excluded.errors,
    rate_limited            = ai_usage_daily.rate_limited + excluded.rate_limited,
    streamed                = ai_usage_daily.streamed + excluded.streamed,
    input_tokens            = ai_usage_daily.input_tokens + excluded.input_tokens,
    output_tokens           = ai_usage_daily.output_tokens + excluded.output_tokens,
    cache_read_input_tokens = ai_usage_daily.cache_read_input_tokens + excluded.cache_read_input_tokens,
    reasoning_output_tokens = ai_usage_daily.reasoning_output_tokens + excluded.reasoning_output_tokens,
    cost_usd                = ai_usage_daily.cost_usd + excluded.cost_usd,
    unpriced_requests       = ai_usage_daily.unpriced_requests + excluded.unpriced_requests,
    duration_s              = ai_usage_daily.duration_s + excluded.duration_s,
    last_seen               = greatest(ai_usage_daily.last_seen, excluded.last_seen);
