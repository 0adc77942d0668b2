package schema

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
)

const insertPrice = `INSERT INTO model_prices (
    provider, model, service_tier, min_input_tokens, unit, usd, per, min_billed,
    effective_from, effective_to, checked, source
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::DATE, ?::DATE, ?::DATE, ?)`

// Origin says where the rows of model_prices came from.
type Origin struct {
	// Kind is OriginBuiltin, OriginFile or OriginMigrated.
	Kind string
	// Name is the built-in table's fingerprint (pricing.DefaultFingerprint) or the path
	// of the file loaded.
	Name string
}

// Kinds of Origin.
const (
	OriginBuiltin  = "builtin"  // the table built into aiusage
	OriginFile     = "file"     // a file an analyst loaded (aiusage prices load, prices_file)
	OriginMigrated = "migrated" // rows carried over from a schema before version 5
)

// ReplacePrices makes model_prices hold exactly prices, loaded from origin, in one
// transaction: readers see the old table or the new one, never a mix, and a failure
// leaves the old one. Reports price calls from model_prices on their day of use, so a
// corrected table reprices past days; the cost recorded on each call stays as it was.
func ReplacePrices(ctx context.Context, db *sql.DB, prices []pricing.Price, origin Origin) error {
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
		var minBilled, to, checked any // NULL: no minimum; still in force; not known
		if p.MinBilled > 0 {
			minBilled = p.MinBilled
		}
		if !p.EffectiveTo.IsZero() {
			to = utcDay(p.EffectiveTo)
		}
		if !p.Checked.IsZero() {
			checked = utcDay(p.Checked)
		}
		from := utcDay(p.EffectiveFrom)
		if _, err := stmt.ExecContext(ctx, p.Provider, p.Model, p.Tier, p.MinInputTokens, p.Unit.String(), p.USD, p.Per,
			minBilled, from, to, checked, p.Source); err != nil {
			return fmt.Errorf("replace model_prices: insert %s %s %s %s from %s: %w", p.Provider, p.Model, p.Tier, p.Unit, from, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM model_prices_origin`); err != nil {
		return fmt.Errorf("replace model_prices: origin: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO model_prices_origin (origin, name) VALUES (?, ?)`, origin.Kind, origin.Name); err != nil {
		return fmt.Errorf("replace model_prices: origin: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace model_prices: commit: %w", err)
	}
	return nil
}

// PricesOrigin reports where the rows of model_prices came from; ok is false when
// nothing has been loaded.
func PricesOrigin(ctx context.Context, db *sql.DB) (o Origin, ok bool, err error) {
	var name sql.NullString
	err = db.QueryRowContext(ctx, `SELECT origin, name FROM model_prices_origin ORDER BY loaded_at DESC LIMIT 1`).Scan(&o.Kind, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return Origin{}, false, nil
	}
	if err != nil {
		return Origin{}, false, fmt.Errorf("read model_prices_origin: %w", err)
	}
	o.Name = name.String
	return o, true, nil
}

// LoadPrices reads model_prices into a price table, checked as a price file is.
func LoadPrices(ctx context.Context, db *sql.DB) (*pricing.Table, error) {
	rows, err := db.QueryContext(ctx, `SELECT provider, model, service_tier, min_input_tokens, unit, usd, per, min_billed,
	    strftime(effective_from, '%Y-%m-%d'), strftime(effective_to, '%Y-%m-%d'), strftime(checked, '%Y-%m-%d'), source
	    FROM model_prices ORDER BY provider, model, service_tier, unit, min_input_tokens, effective_from`)
	if err != nil {
		return nil, fmt.Errorf("read model_prices: %w", err)
	}
	defer rows.Close()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(pricing.Columns) //nolint:errcheck // a bytes.Buffer does not fail
	for rows.Next() {
		var provider, model, tier, unit string
		var minInput int64
		var usd, per float64
		var minBilled sql.NullFloat64
		var from string
		var to, checked, source sql.NullString
		if err := rows.Scan(&provider, &model, &tier, &minInput, &unit, &usd, &per, &minBilled, &from, &to, &checked, &source); err != nil {
			return nil, fmt.Errorf("read model_prices: %w", err)
		}
		mb := ""
		if minBilled.Valid {
			mb = strconv.FormatFloat(minBilled.Float64, 'g', -1, 64)
		}
		w.Write([]string{provider, model, tier, strconv.FormatInt(minInput, 10), unit, //nolint:errcheck // as above
			strconv.FormatFloat(usd, 'g', -1, 64), strconv.FormatFloat(per, 'g', -1, 64), mb, from, to.String, checked.String, source.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read model_prices: %w", err)
	}
	w.Flush()
	t, err := pricing.Parse(&buf)
	if err != nil {
		return nil, fmt.Errorf("model_prices: %w", err)
	}
	return t, nil
}

// utcDay is the DATE literal of t's UTC day. Dates go in as text: a timestamp parameter
// would be cast to DATE in the session's time zone, which may not be UTC.
func utcDay(t time.Time) string {
	return t.UTC().Format(time.DateOnly)
}
