package pricing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// columns is the header every price table starts with, in this order.
var columns = []string{
	"provider",
	"model",
	"input_usd_per_mtok",
	"output_usd_per_mtok",
	"cached_input_usd_per_mtok",
	"min_input_tokens",
	"effective_from",
	"effective_to",
	"source",
}

// Column positions, in the order of columns.
const (
	colProvider = iota
	colModel
	colInput
	colOutput
	colCachedInput
	colMinInputTokens
	colEffectiveFrom
	colEffectiveTo
	colSource
)

// dateLayout is how effective dates are written: a UTC day.
const dateLayout = time.DateOnly

// Parse reads and validates a price table in the prices.csv format: the header line
// provider,model,input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,
// min_input_tokens,effective_from,effective_to,source, then one row per price.
// Empty cached_input_usd_per_mtok means cached input is billed as input; empty
// min_input_tokens means 0; empty effective_to means still in force. Dates are UTC days
// (2006-01-02). Lines starting with # are comments.
//
// Every problem is an error naming the line and column, such as
// `prices line 4: input_usd_per_mtok: "abc" is not a number`. Rows for the same
// provider, model and tier must not overlap in time.
func Parse(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = len(columns)
	cr.TrimLeadingSpace = true

	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("prices: empty, want a header line " + strings.Join(columns, ","))
	}
	if err != nil {
		return nil, csvError(err)
	}
	for i, name := range columns {
		if got := strings.TrimSpace(head[i]); got != name {
			return nil, fmt.Errorf("prices line 1: column %d is %q, want %q (header %s)", i+1, got, name, strings.Join(columns, ","))
		}
	}

	var prices []Price
	var lineOf []int                // line each price was read from
	seen := make(map[tierKey][]int) // indexes of earlier rows per tier, checked for overlap
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		p, err := parseRow(rec)
		if err != nil {
			return nil, fmt.Errorf("prices line %d: %w", line, err)
		}
		k := tierKey{p.Provider, p.Model, p.MinInputTokens}
		for _, i := range seen[k] {
			if err := conflict(prices[i], p, lineOf[i]); err != nil {
				return nil, fmt.Errorf("prices line %d: %w", line, err)
			}
		}
		seen[k] = append(seen[k], len(prices))
		prices = append(prices, p)
		lineOf = append(lineOf, line)
	}
	return newTable(prices), nil
}

// csvError words a CSV syntax error like the others: line first.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("prices line %d: want %d columns (%s)", pe.Line, len(columns), strings.Join(columns, ","))
		}
		return fmt.Errorf("prices line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("prices: %w", err)
}

// parseRow validates one record; errors name the column.
func parseRow(rec []string) (Price, error) {
	f := func(col int) string { return strings.TrimSpace(rec[col]) }
	p := Price{
		Provider: f(colProvider),
		Model:    f(colModel),
		Source:   f(colSource),
	}
	if p.Provider == "" {
		return Price{}, fmt.Errorf("%s: empty", columns[colProvider])
	}
	if p.Model == "" {
		return Price{}, fmt.Errorf("%s: empty", columns[colModel])
	}
	if _, err := path.Match(p.Model, ""); err != nil {
		return Price{}, fmt.Errorf("%s: %q is not a valid glob: %w", columns[colModel], p.Model, err)
	}
	var err error
	if p.InputPerMTok, err = parseUSD(colInput, f(colInput)); err != nil {
		return Price{}, err
	}
	if p.OutputPerMTok, err = parseUSD(colOutput, f(colOutput)); err != nil {
		return Price{}, err
	}
	if s := f(colCachedInput); s != "" {
		if p.CachedInputPerMTok, err = parseUSD(colCachedInput, s); err != nil {
			return Price{}, err
		}
		p.HasCachedInput = true
	}
	if s := f(colMinInputTokens); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return Price{}, fmt.Errorf("%s: %q is not a whole number >= 0", columns[colMinInputTokens], s)
		}
		p.MinInputTokens = n
	}
	if p.EffectiveFrom, err = parseDate(colEffectiveFrom, f(colEffectiveFrom)); err != nil {
		return Price{}, err
	}
	if s := f(colEffectiveTo); s != "" {
		if p.EffectiveTo, err = parseDate(colEffectiveTo, s); err != nil {
			return Price{}, err
		}
		if !p.EffectiveTo.After(p.EffectiveFrom) {
			return Price{}, fmt.Errorf("%s: %s is not after %s %s", columns[colEffectiveTo], s, columns[colEffectiveFrom], f(colEffectiveFrom))
		}
	}
	return p, nil
}

func parseUSD(col int, s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("%s: empty", columns[col])
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s: %q is not a number", columns[col], s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%s: %s is negative", columns[col], s)
	}
	return v, nil
}

func parseDate(col int, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s: empty", columns[col])
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not a date (YYYY-MM-DD)", columns[col], s)
	}
	return t, nil
}

// tierKey identifies the rows among which only effective dates choose.
type tierKey struct {
	provider, model string
	minInputTokens  int64
}

// conflict reports a row p that duplicates or overlaps an earlier row q of the same
// tier (read at line qLine): Lookup could not choose between them.
func conflict(q, p Price, qLine int) error {
	if q.EffectiveFrom.Equal(p.EffectiveFrom) {
		return fmt.Errorf("duplicate of line %d (same provider, model, min_input_tokens and effective_from)", qLine)
	}
	if overlaps(q, p) {
		return fmt.Errorf("effective_from..effective_to overlaps line %d for the same provider, model and min_input_tokens", qLine)
	}
	return nil
}

// overlaps reports whether the half-open periods of a and b share an instant.
func overlaps(a, b Price) bool {
	aEndsBeforeB := !a.EffectiveTo.IsZero() && !a.EffectiveTo.After(b.EffectiveFrom)
	bEndsBeforeA := !b.EffectiveTo.IsZero() && !b.EffectiveTo.After(a.EffectiveFrom)
	return !aEndsBeforeB && !bEndsBeforeA
}
