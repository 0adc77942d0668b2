-- Prices: the model price table the reports price calls from, one row per billed unit.
--
-- Question: what does each model cost per billed unit and service tier, from when, says who, and checked when?
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   in_force_on     DATE  only rows in force on this UTC day (default: every row)
--   checked_before  DATE  only rows last checked before this day, or never (default: every row)
--
-- Columns:
--   provider          VARCHAR  gen_ai.provider.name
--   model             VARCHAR  exact model name or glob pattern
--   service_tier      VARCHAR  standard | flex | priority | batch | provisioned
--   min_input_tokens  BIGINT   prompt size from which the row applies
--   unit              VARCHAR  billed unit (input_tokens, cache_read_input_tokens, audio_billed_seconds, ...)
--   usd               DOUBLE   USD per `per` units
--   per               DOUBLE   units the price is for: 1e6 tokens or characters, 3600 s, 1000 searches
--   min_billed        DOUBLE   least quantity billed per request (NULL: none)
--   effective_from    DATE     first day in force
--   effective_to      DATE     first day no longer in force (NULL: still in force)
--   checked           DATE     the day the price was last checked against its source (NULL: not known)
--   source            VARCHAR  where the price comes from

SELECT provider, model, service_tier, min_input_tokens, unit, usd, per, min_billed,
       effective_from, effective_to, checked, source
FROM model_prices
WHERE (getvariable('in_force_on') IS NULL
       OR (effective_from <= getvariable('in_force_on')::DATE
           AND (effective_to IS NULL OR effective_to > getvariable('in_force_on')::DATE)))
  AND (getvariable('checked_before') IS NULL OR checked IS NULL OR checked < getvariable('checked_before')::DATE)
ORDER BY provider, model, service_tier, unit, min_input_tokens, effective_from;
