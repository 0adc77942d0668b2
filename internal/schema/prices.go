package schema

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
)

const insertPrice = `INSERT INTO model_prices (
    provider, model, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok,
    min_input_tokens, effective_from, effective_to, source
) VALUES (?, ?, ?, ?, ?, ?, ?::DATE, ?::DATE, ?)`

// ReplacePrices makes model_prices hold exactly prices, in one transaction: readers see
// the old table or the new one, never a mix, and a failure leaves the old one.
func ReplacePrices(ctx context.Context, db *sql.DB, prices []pricing.Price) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace model_prices: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.ExecContext(ctx, `DELETE FROM model_prices`); err != nil {
		return fmt.Errorf("replace model_prices: delete: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, insertPrice)
	if err != nil {
		return fmt.Errorf("replace model_prices: prepare insert: %w", err)
	}
	defer stmt.Close()
	for _, p := range prices {
		var cached, to any // NULL: cached input billed as input; still in force
		if p.HasCachedInput {
			cached = p.CachedInputPerMTok
		}
		if !p.EffectiveTo.IsZero() {
			to = utcDay(p.EffectiveTo)
		}
		from := utcDay(p.EffectiveFrom)
		if _, err := stmt.ExecContext(ctx, p.Provider, p.Model, p.InputPerMTok, p.OutputPerMTok, cached,
			p.MinInputTokens, from, to, p.Source); err != nil {
			return fmt.Errorf("replace model_prices: insert %s %s from %s: %w", p.Provider, p.Model, from, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace model_prices: commit: %w", err)
	}
	return nil
}

// utcDay is the DATE literal of t's UTC day. Dates go in as text: a timestamp parameter
// would be cast to DATE in the session's time zone, which may not be UTC.
func utcDay(t time.Time) string {
	return t.UTC().Format(time.DateOnly)
}
