-- Prices: the model price table the cost report reads, optionally only the rows in force on a day.
--
-- Question: what does each model cost per million tokens, from when, and says who?
--
-- Parameters (SET VARIABLE name = value; before running; unset = default):
--   in_force_on  DATE  only rows in force on this UTC day (default: every row)
--
-- Columns:
--   provider                   VARCHAR  gen_ai.provider.name
--   model                      VARCHAR  exact model name or glob pattern
--   input_usd_per_mtok         DOUBLE   USD per million input tokens
--   output_usd_per_mtok        DOUBLE   USD per million output tokens
--   cached_input_usd_per_mtok  DOUBLE   USD per million cached input tokens (NULL: billed as input)
--   min_input_tokens           BIGINT   prompt size from which this tier applies
--   effective_from             DATE     first day in force
--   effective_to               DATE     first day no longer in force (NULL: still in force)
--   source                     VARCHAR  where the price comes from

SELECT provider, model, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok,
       min_input_tokens, effective_from, effective_to, source
FROM model_prices
WHERE getvariable('in_force_on') IS NULL
   OR (effective_from <= getvariable('in_force_on')::DATE
       AND (effective_to IS NULL OR effective_to > getvariable('in_force_on')::DATE))
ORDER BY provider, model, min_input_tokens, effective_from;
