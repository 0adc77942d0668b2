-- Cost by billed unit and tier: what each unit of each model cost, per service tier, over a date range.
--
-- Question: what are we paying for: text, cached input, audio, images, speech seconds, characters, searches, and in which tier?
--   Priced as the cost report prices (model_prices on the day of use). Each unit bills its
--   part only: input_tokens is the uncached text input (the input total less the cached and
--   per-modality parts), output_tokens the text output that is not reasoning; a part without
--   a rate of its own is billed at the rate of its total (audio input at the input rate).
--   status says whether the unit was priced, had no rate (missing), or the model none at all
--   (unpriced). Narrow it to a user, project or model with the filters.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day    DATE     first UTC day (default: the first day of to_day's month)
--   to_day      DATE     last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   provider      VARCHAR  gen_ai.provider.name
--   model         VARCHAR  response model, else request model
--   service_tier  VARCHAR  the tier the calls were served in
--   priced_tier   VARCHAR  the tier whose rates priced them (standard when the table has none for service_tier)
--   unit          VARCHAR  billed unit
--   status        VARCHAR  priced | missing | unpriced
--   quantity      DOUBLE   units billed (tokens, characters, seconds after the per-request minimum, searches, requests)
--   cost_usd      DOUBLE   their cost (NULL when missing or unpriced)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE units_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE units_from = coalesce(getvariable('from_day')::DATE, date_trunc('month', getvariable('units_to'))::DATE);

WITH priced AS (
    SELECT provider, model, service_tier, priced_tier,
           bit_or(missing_mask) AS missing_mask,
           sum(q_input_tokens) AS q_input_tokens, sum(input_tokens_cost_usd) AS input_tokens_cost_usd,
           sum(q_cache_read_input_tokens) AS q_cache_read_input_tokens, sum(cache_read_input_tokens_cost_usd) AS cache_read_input_tokens_cost_usd,
           sum(q_audio_input_tokens) AS q_audio_input_tokens, sum(audio_input_tokens_cost_usd) AS audio_input_tokens_cost_usd,
           sum(q_audio_cache_read_input_tokens) AS q_audio_cache_read_input_tokens, sum(audio_cache_read_input_tokens_cost_usd) AS audio_cache_read_input_tokens_cost_usd,
           sum(q_image_input_tokens) AS q_image_input_tokens, sum(image_input_tokens_cost_usd) AS image_input_tokens_cost_usd,
           sum(q_image_cache_read_input_tokens) AS q_image_cache_read_input_tokens, sum(image_cache_read_input_tokens_cost_usd) AS image_cache_read_input_tokens_cost_usd,
           sum(q_video_input_tokens) AS q_video_input_tokens, sum(video_input_tokens_cost_usd) AS video_input_tokens_cost_usd,
           sum(q_video_cache_read_input_tokens) AS q_video_cache_read_input_tokens, sum(video_cache_read_input_tokens_cost_usd) AS video_cache_read_input_tokens_cost_usd,
           sum(q_document_input_tokens) AS q_document_input_tokens, sum(document_input_tokens_cost_usd) AS document_input_tokens_cost_usd,
           sum(q_document_cache_read_input_tokens) AS q_document_cache_read_input_tokens, sum(document_cache_read_input_tokens_cost_usd) AS document_cache_read_input_tokens_cost_usd,
           sum(q_output_tokens) AS q_output_tokens, sum(output_tokens_cost_usd) AS output_tokens_cost_usd,
           sum(q_reasoning_output_tokens) AS q_reasoning_output_tokens, sum(reasoning_output_tokens_cost_usd) AS reasoning_output_tokens_cost_usd,
           sum(q_audio_output_tokens) AS q_audio_output_tokens, sum(audio_output_tokens_cost_usd) AS audio_output_tokens_cost_usd,
           sum(q_image_output_tokens) AS q_image_output_tokens, sum(image_output_tokens_cost_usd) AS image_output_tokens_cost_usd,
           sum(q_video_output_tokens) AS q_video_output_tokens, sum(video_output_tokens_cost_usd) AS video_output_tokens_cost_usd,
           sum(q_audio_billed_seconds) AS q_audio_billed_seconds, sum(audio_billed_seconds_cost_usd) AS audio_billed_seconds_cost_usd,
           sum(q_input_characters) AS q_input_characters, sum(input_characters_cost_usd) AS input_characters_cost_usd,
           sum(q_web_search_queries) AS q_web_search_queries, sum(web_search_queries_cost_usd) AS web_search_queries_cost_usd,
           sum(q_web_search_requests) AS q_web_search_requests, sum(web_search_requests_cost_usd) AS web_search_requests_cost_usd,
           sum(q_requests) AS q_requests, sum(requests_cost_usd) AS requests_cost_usd
    FROM ai_usage_priced(getvariable('units_from'), getvariable('units_to'),
                         getvariable('user_id'), getvariable('project_id'), getvariable('model'))
    GROUP BY ALL
),
lines AS (
    UNPIVOT priced
    ON (q_input_tokens, input_tokens_cost_usd) AS input_tokens,
       (q_cache_read_input_tokens, cache_read_input_tokens_cost_usd) AS cache_read_input_tokens,
       (q_audio_input_tokens, audio_input_tokens_cost_usd) AS audio_input_tokens,
       (q_audio_cache_read_input_tokens, audio_cache_read_input_tokens_cost_usd) AS audio_cache_read_input_tokens,
       (q_image_input_tokens, image_input_tokens_cost_usd) AS image_input_tokens,
       (q_image_cache_read_input_tokens, image_cache_read_input_tokens_cost_usd) AS image_cache_read_input_tokens,
       (q_video_input_tokens, video_input_tokens_cost_usd) AS video_input_tokens,
       (q_video_cache_read_input_tokens, video_cache_read_input_tokens_cost_usd) AS video_cache_read_input_tokens,
       (q_document_input_tokens, document_input_tokens_cost_usd) AS document_input_tokens,
       (q_document_cache_read_input_tokens, document_cache_read_input_tokens_cost_usd) AS document_cache_read_input_tokens,
       (q_output_tokens, output_tokens_cost_usd) AS output_tokens,
       (q_reasoning_output_tokens, reasoning_output_tokens_cost_usd) AS reasoning_output_tokens,
       (q_audio_output_tokens, audio_output_tokens_cost_usd) AS audio_output_tokens,
       (q_image_output_tokens, image_output_tokens_cost_usd) AS image_output_tokens,
       (q_video_output_tokens, video_output_tokens_cost_usd) AS video_output_tokens,
       (q_audio_billed_seconds, audio_billed_seconds_cost_usd) AS audio_billed_seconds,
       (q_input_characters, input_characters_cost_usd) AS input_characters,
       (q_web_search_queries, web_search_queries_cost_usd) AS web_search_queries,
       (q_web_search_requests, web_search_requests_cost_usd) AS web_search_requests,
       (q_requests, requests_cost_usd) AS requests
    INTO NAME unit VALUE quantity, line_cost_usd
)
SELECT provider,
       model,
       service_tier,
       coalesce(priced_tier, '') AS priced_tier,
       unit,
       CASE WHEN priced_tier IS NULL THEN 'unpriced'
            WHEN list_contains(string_split(ai_unit_names(missing_mask), ','), unit) THEN 'missing'
            ELSE 'priced' END AS status,
       quantity::DOUBLE AS quantity,
       line_cost_usd::DOUBLE AS cost_usd
FROM lines
-- Units with no rate that are not missing either (a request fee the model does not
-- charge, searches billed per grounded prompt) are left out.
WHERE quantity > 0
  AND (line_cost_usd IS NOT NULL OR priced_tier IS NULL OR list_contains(string_split(ai_unit_names(missing_mask), ','), unit))
ORDER BY provider, model, service_tier, cost_usd DESC NULLS LAST, unit;
