package duckdbexporter

import (
	"context"
	"fmt"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
)

// loadPrices fills model_prices: from prices_file when set (replacing what is there),
// otherwise with the embedded table, but only when model_prices is empty, so a table an
// analyst loaded (aiusage prices load) survives restarts.
func (e *duckdbExporter) loadPrices(ctx context.Context) error {
	var table *pricing.Table
	if e.cfg.PricesFile != "" {
		t, err := pricing.Load(e.cfg.PricesFile)
		if err != nil {
			return fmt.Errorf("prices_file: %w", err)
		}
		table = t
	} else {
		var n int
		if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM model_prices`).Scan(&n); err != nil {
			return fmt.Errorf("duckdb %q: count model_prices: %w", e.cfg.Path, err)
		}
		if n > 0 {
			return nil
		}
		table = pricing.Default()
	}
	if err := schema.ReplacePrices(ctx, e.db, table.Prices()); err != nil {
		return fmt.Errorf("duckdb %q: %w", e.cfg.Path, err)
	}
	return nil
}
