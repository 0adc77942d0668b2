-- Adds one batch's aggregates to the daily roll-up. The VALUES verb is filled with the parameter
-- rows, one per key, "(?, ...), (?, ...)" in the roll-up's column order. Runs in the
-- batch's transaction, so the roll-up always matches the rows that landed.
INSERT INTO {{.Daily}} AS daily
VALUES %s
ON CONFLICT (day, provider, model, service_name, user_id, project_id, action_type) DO UPDATE SET
    requests                = daily.requests + excluded.requests,
    errors                  = daily.errors + excluded.errors,
    rate_limited            = daily.rate_limited + excluded.rate_limited,
    streamed                = daily.streamed + excluded.streamed,
    input_tokens            = daily.input_tokens + excluded.input_tokens,
    output_tokens           = daily.output_tokens + excluded.output_tokens,
    cache_read_input_tokens = daily.cache_read_input_tokens + excluded.cache_read_input_tokens,
    reasoning_output_tokens = daily.reasoning_output_tokens + excluded.reasoning_output_tokens,
    cost_usd                = daily.cost_usd + excluded.cost_usd,
    unpriced_requests       = daily.unpriced_requests + excluded.unpriced_requests,
    duration_s              = daily.duration_s + excluded.duration_s,
    last_seen               = greatest(daily.last_seen, excluded.last_seen);
