-- Spend by platform, operation and tier: what each kind of call cost over a date range.
--
-- Question: where does the money go: chat or speech, embeddings or batches, the Gemini API or Vertex AI, standard or flex?
--   Priced as the cost report prices (model_prices on the day of use, the served tier's
--   rates, else standard's). provider is the platform (groq, gcp.gemini, gcp.vertex_ai);
--   operation is gen_ai.operation.name (chat, generate_content, embeddings, transcription,
--   text_to_speech, live, batch, count_tokens, ...). Counting tokens and a batch job's own
--   calls are not billed; each batch result is a call of its own at the batch tier. Days
--   that retention emptied are priced from the roll-up, which keeps no operation: their
--   calls show operation ''. share is of the priced spend of the range.
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   from_day    DATE     first UTC day (default: the first day of to_day's month)
--   to_day      DATE     last UTC day, inclusive (default: today, UTC)
--   user_id     VARCHAR  only calls of this user.id (default: every user; '' is calls without one)
--   project_id  VARCHAR  only calls of this aiusage.project.id (default: every project; '' is calls without one)
--   model       VARCHAR  only calls of this model, response model else request model (default: every model)
--
-- Columns:
--   provider           VARCHAR  gen_ai.provider.name: the platform
--   operation          VARCHAR  gen_ai.operation.name ('' for days only the roll-up holds)
--   service_tier       VARCHAR  the tier the calls were served in
--   requests           BIGINT   calls
--   unpriced_requests  BIGINT   of which calls whose cost is unknown: no price, or no usage reported
--   input_tokens       BIGINT   input tokens, cached ones included
--   output_tokens      BIGINT   output tokens
--   audio_seconds      DOUBLE   seconds of audio measured or reported (speech-to-text)
--   cost_usd           DOUBLE   the priced calls' cost (NULL when none is priced)
--   share              DOUBLE   cost_usd over the range's priced spend (NULL when nothing is priced)

-- The range, resolved once so the scans below filter on constants.
SET VARIABLE spend_to = coalesce(getvariable('to_day')::DATE, (now() AT TIME ZONE 'UTC')::DATE);
SET VARIABLE spend_from = coalesce(getvariable('from_day')::DATE, date_trunc('month', getvariable('spend_to'))::DATE);

WITH spend AS (
    SELECT provider,
           operation,
           service_tier,
           sum(requests)::BIGINT AS requests,
           sum(unpriced_requests)::BIGINT AS unpriced_requests,
           sum(input_tokens)::BIGINT AS input_tokens,
           sum(output_tokens)::BIGINT AS output_tokens,
           sum(audio_seconds)::DOUBLE AS audio_seconds,
           sum(cost_usd)::DOUBLE AS cost_usd
    FROM ai_usage_priced(getvariable('spend_from'), getvariable('spend_to'),
                         getvariable('user_id'), getvariable('project_id'), getvariable('model'))
    GROUP BY provider, operation, service_tier
)
SELECT *,
       (cost_usd / nullif(sum(cost_usd) OVER (), 0))::DOUBLE AS share
FROM spend
ORDER BY cost_usd DESC NULLS LAST, provider, operation, service_tier;
