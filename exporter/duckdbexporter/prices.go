package duckdbexporter

import (
	"context"
	"fmt"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
)

// loadPrices fills model_prices: from prices_file when set (replacing what is there);
// otherwise with the built-in table when model_prices is empty or holds an earlier
// aiusage's built-in table, so that a release's corrected prices reach the reports while
// a table an analyst loaded (aiusage prices load) survives restarts.
func (e *duckdbExporter) loadPrices(ctx context.Context) error {
	if e.cfg.PricesFile != "" {
		t, err := pricing.Load(e.cfg.PricesFile)
		if err != nil {
			return fmt.Errorf("prices_file: %w", err)
		}
		for _, note := range t.Notes() {
			e.logger.Warn("prices_file: " + note)
		}
		if err := schema.ReplacePrices(ctx, e.db, t.Prices(), schema.Origin{Kind: schema.OriginFile, Name: e.cfg.PricesFile}); err != nil {
			return fmt.Errorf("duckdb %q: %w", e.cfg.Path, err)
		}
		return nil
	}
	builtin := schema.Origin{Kind: schema.OriginBuiltin, Name: pricing.DefaultFingerprint()}
	origin, loaded, err := schema.PricesOrigin(ctx, e.db)
	if err != nil {
		return fmt.Errorf("duckdb %q: %w", e.cfg.Path, err)
	}
	var n int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM model_prices`).Scan(&n); err != nil {
		return fmt.Errorf("duckdb %q: count model_prices: %w", e.cfg.Path, err)
	}
	switch {
	case n > 0 && loaded && origin == builtin:
		return nil // this release's table already
	case n > 0 && (!loaded || origin.Kind != schema.OriginBuiltin):
		return nil // an analyst's table
	}
	if err := schema.ReplacePrices(ctx, e.db, pricing.Default().Prices(), builtin); err != nil {
		return fmt.Errorf("duckdb %q: %w", e.cfg.Path, err)
	}
	return nil
}
