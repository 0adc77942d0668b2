package budget

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// columns of the budgets table, in the order Put writes them.
const columns = "name, scope, scope_value, period, time_zone, amount_usd, thresholds, provider_cap, updated_at"

// Put inserts b or replaces the budget of the same name. b must Validate.
func Put(ctx context.Context, db *sql.DB, b Budget) error {
	return inTx(ctx, db, func(tx *sql.Tx) error { return put(ctx, tx, b) })
}

func put(ctx context.Context, tx *sql.Tx, b Budget) error {
	_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO budgets ("+columns+") VALUES (?, ?, ?, ?, ?, ?, ?::DOUBLE[], ?, now())",
		b.Name, b.Scope, b.Value, b.Period, b.TimeZone, b.AmountUSD, thresholdsList(b.Thresholds), b.ProviderCap)
	if err != nil {
		return fmt.Errorf("store budget %q: %w", b.Name, err)
	}
	return nil
}

// thresholdsList renders thresholds as the text of a DuckDB list, which the statement
// casts to the column's DOUBLE[].
func thresholdsList(ts []float64) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprint(t)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Replace makes bs the whole table: what a budgets file says, in one transaction.
func Replace(ctx context.Context, db *sql.DB, bs []Budget) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM budgets"); err != nil {
			return fmt.Errorf("clear budgets: %w", err)
		}
		for _, b := range bs {
			if err := put(ctx, tx, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// Delete removes the budget called name and its recorded crossings; false when there
// was none.
func Delete(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var n int64
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM budgets WHERE name = ?", name)
		if err != nil {
			return fmt.Errorf("delete budget %q: %w", name, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("delete budget %q: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM budget_crossings WHERE budget = ?", name); err != nil {
			return fmt.Errorf("delete crossings of budget %q: %w", name, err)
		}
		return nil
	})
	return n > 0, err
}

// List returns every budget, by name.
func List(ctx context.Context, db *sql.DB) ([]Budget, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, scope, scope_value, period, time_zone, amount_usd, thresholds::VARCHAR, provider_cap FROM budgets ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	defer rows.Close()
	var out []Budget
	for rows.Next() {
		var b Budget
		var ts string
		if err := rows.Scan(&b.Name, &b.Scope, &b.Value, &b.Period, &b.TimeZone, &b.AmountUSD, &ts, &b.ProviderCap); err != nil {
			return nil, fmt.Errorf("list budgets: %w", err)
		}
		if b.Thresholds, err = ParseThresholds(strings.Trim(ts, "[]")); err != nil {
			return nil, fmt.Errorf("list budgets: %q: %w", b.Name, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	return out, nil
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("budgets: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("budgets: commit: %w", err)
	}
	return nil
}
