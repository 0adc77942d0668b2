package pricing

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// WriteCSV writes prices as a price table in the current layout (Columns), which Parse
// reads back as the same rows.
func WriteCSV(w io.Writer, prices []Price) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("write prices: %w", err)
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(dateLayout)
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	per := func(v float64) string { // as prices are quoted: per 1M tokens, per 1K searches
		switch v {
		case 1e6:
			return "1M"
		case 1e3:
			return "1K"
		}
		return num(v)
	}
	for _, p := range prices {
		minBilled := ""
		if p.MinBilled > 0 {
			minBilled = num(p.MinBilled)
		}
		if err := cw.Write([]string{p.Provider, p.Model, p.Tier, strconv.FormatInt(p.MinInputTokens, 10), p.Unit.String(),
			num(p.USD), per(p.Per), minBilled, day(p.EffectiveFrom), day(p.EffectiveTo), day(p.Checked), p.Source}); err != nil {
			return fmt.Errorf("write prices: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write prices: %w", err)
	}
	return nil
}
