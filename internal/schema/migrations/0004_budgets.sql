-- aiusage storage, version 4: spending budgets and the threshold crossings already
-- notified. A budget caps the cost recorded at the calls of one scope (every call, a
-- provider, a model, a user, a project or an action) per day or calendar month in a
-- stated IANA time zone; its thresholds are fractions of the amount (0.5, 0.8, 1 = 100%).
-- Validation naming each bad field is in internal/budget; the checks here keep other
-- writers to the same rules.

CREATE TABLE IF NOT EXISTS budgets (
    name         VARCHAR PRIMARY KEY,
    scope        VARCHAR NOT NULL CHECK (scope IN ('all', 'provider', 'model', 'user', 'project', 'action')),
    scope_value  VARCHAR NOT NULL,            -- the provider, model, user, project or action; '' for all
    period       VARCHAR NOT NULL CHECK (period IN ('day', 'month')),
    time_zone    VARCHAR NOT NULL,            -- IANA zone whose days and months the period follows
    amount_usd   DOUBLE NOT NULL CHECK (amount_usd > 0),
    thresholds   DOUBLE[] NOT NULL,           -- ascending fractions of amount_usd, each in (0, 10]
    provider_cap BOOLEAN NOT NULL DEFAULT false, -- a cap the provider enforces (a Gemini project spend cap)
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per budget, period and threshold crossed: the exporter logs and notifies a
-- crossing once, across restarts.
CREATE TABLE IF NOT EXISTS budget_crossings (
    budget       VARCHAR NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    threshold    DOUBLE NOT NULL,
    crossed_at   TIMESTAMPTZ NOT NULL,
    spend_usd    DOUBLE NOT NULL,
    PRIMARY KEY (budget, period_start, threshold)
);
