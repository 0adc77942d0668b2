package pricing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Columns is the header of a price table, in order: one row per model, unit, service
// tier, prompt-size tier and period.
var Columns = []string{
	"provider",
	"model",
	"service_tier",
	"min_input_tokens",
	"unit",
	"usd",
	"per",
	"min_billed",
	"effective_from",
	"effective_to",
	"checked",
	"source",
}

// Column positions, in the order of Columns.
const (
	colProvider = iota
	colModel
	colTier
	colMinInputTokens
	colUnit
	colUSD
	colPer
	colMinBilled
	colEffectiveFrom
	colEffectiveTo
	colChecked
	colSource
)

// legacyColumns is the header of the first layout: one row per model, prices per
// million input, output and cached input tokens, every row in the standard tier.
var legacyColumns = []string{
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

// LegacyNote is the note a table in the first layout carries (Table.Notes).
const LegacyNote = "the file is in the older layout (one row per model: input, output and cached input USD per 1M tokens); " +
	"it was read as rows of the units input_tokens, output_tokens and cache_read_input_tokens in the standard tier. " +
	"`aiusage prices show --file FILE --format csv` writes it in the current layout, which also prices audio, images, " +
	"characters, searches and service tiers"

// dateLayout is how dates are written: a UTC day.
const dateLayout = time.DateOnly

// Parse reads and validates a price table: the header line
//
//	provider,model,service_tier,min_input_tokens,unit,usd,per,min_billed,effective_from,effective_to,checked,source
//
// then one row per price. service_tier is one of standard, flex, priority, batch,
// provisioned (empty is standard); min_input_tokens the prompt size from which the
// row applies (empty is 0); unit a billed unit (see [Unit]); usd the price of per
// units (per may be written 1M or 1K); min_billed the least quantity billed per
// request (audio_billed_seconds only; empty is none); effective_to the first day the
// row is no longer in force (empty: still is); checked the day the price was checked
// against source. Dates are UTC days (2006-01-02). Lines starting with # are comments.
// A file in the older layout (header provider,model,input_usd_per_mtok,...) is read as
// well, with a note (Table.Notes).
//
// Every problem is an error naming the line and column, such as
// `prices line 4, column 6 (usd): "abc" is not a number`; rows for the same provider,
// model, service tier, prompt-size tier and unit must not overlap in time.
func Parse(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1 // checked per layout, to say which
	cr.TrimLeadingSpace = true

	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("prices: empty, want a header line " + strings.Join(Columns, ","))
	}
	if err != nil {
		return nil, csvError(err)
	}
	line, _ := cr.FieldPos(0)
	columns, readRow, notes := Columns, parseRow, []string(nil)
	if len(head) > 2 && strings.TrimSpace(head[2]) == legacyColumns[2] {
		columns, readRow, notes = legacyColumns, parseLegacyRow, []string{LegacyNote}
	}
	if len(head) != len(columns) {
		return nil, fmt.Errorf("prices line %d: %d columns, want %d (%s)", line, len(head), len(columns), strings.Join(columns, ","))
	}
	for i, name := range columns {
		if got := strings.TrimSpace(head[i]); got != name {
			return nil, fmt.Errorf("prices line %d, column %d: header is %q, want %q (header %s)", line, i+1, got, name, strings.Join(columns, ","))
		}
	}

	var prices []Price
	var lineOf []int               // line each price was read from
	seen := make(map[rowKey][]int) // earlier rows per key, checked for overlap
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(columns) {
			return nil, fmt.Errorf("prices line %d: %d columns, want %d (%s)", line, len(rec), len(columns), strings.Join(columns, ","))
		}
		rows, err := readRow(rec)
		if err != nil {
			return nil, fmt.Errorf("prices line %d, %w", line, err)
		}
		for _, p := range rows {
			k := rowKey{p.Provider, p.Model, p.Tier, p.MinInputTokens, p.Unit}
			for _, i := range seen[k] {
				if err := conflict(prices[i], p, lineOf[i]); err != nil {
					return nil, fmt.Errorf("prices line %d, column %d (%s): %w", line, colEffectiveFrom+1, Columns[colEffectiveFrom], err)
				}
			}
			seen[k] = append(seen[k], len(prices))
			prices = append(prices, p)
			lineOf = append(lineOf, line)
		}
	}
	return newTable(prices, notes), nil
}

// csvError words a CSV syntax error like the others: line and column first.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("prices line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("prices: %w", err)
}

// fieldError is a problem with one field, named by its column.
func fieldError(columns []string, col int, format string, args ...any) error {
	return fmt.Errorf("column %d (%s): %s", col+1, columns[col], fmt.Sprintf(format, args...))
}

// parseRow validates one record of the current layout.
func parseRow(rec []string) ([]Price, error) {
	f := func(col int) string { return strings.TrimSpace(rec[col]) }
	bad := func(col int, format string, args ...any) ([]Price, error) {
		return nil, fieldError(Columns, col, format, args...)
	}
	p := Price{Provider: f(colProvider), Model: f(colModel), Source: f(colSource)}
	if err := checkNames(Columns, colProvider, colModel, p.Provider, p.Model); err != nil {
		return nil, err
	}
	p.Tier = f(colTier)
	if p.Tier == "" {
		p.Tier = semconv.ServiceTierStandard
	}
	if _, ok := tierIndex(p.Tier); !ok {
		return bad(colTier, "%q is not a service tier (known: %s)", p.Tier, strings.Join(semconv.ServiceTiers, ", "))
	}
	var err error
	if p.MinInputTokens, err = parseCount(Columns, colMinInputTokens, f(colMinInputTokens)); err != nil {
		return nil, err
	}
	name := f(colUnit)
	unit, ok := ParseUnit(name)
	billedAs, measured := measuredOnly[name]
	switch {
	case ok:
		p.Unit = unit
	case measured:
		return bad(colUnit, "%q is measured, not billed: price %s, the billed duration (with min_billed for a minimum per request)", name, billedAs)
	case name == "":
		return bad(colUnit, "empty")
	default:
		return bad(colUnit, "%q is not a billed unit (known: %s)", name, unitNames())
	}
	if p.USD, err = parseUSD(Columns, colUSD, f(colUSD)); err != nil {
		return nil, err
	}
	if p.Per, err = parsePer(f(colPer)); err != nil {
		return nil, err
	}
	if s := f(colMinBilled); s != "" {
		if !units[p.Unit].perRequestMin {
			return bad(colMinBilled, "%s has no minimum per request; only audio_billed_seconds does", p.Unit)
		}
		if p.MinBilled, err = parseUSD(Columns, colMinBilled, s); err != nil {
			return nil, err
		}
	}
	if p.EffectiveFrom, p.EffectiveTo, err = parsePeriod(Columns, colEffectiveFrom, colEffectiveTo, f(colEffectiveFrom), f(colEffectiveTo)); err != nil {
		return nil, err
	}
	if s := f(colChecked); s != "" {
		if p.Checked, err = parseDate(Columns, colChecked, s); err != nil {
			return nil, err
		}
	}
	return []Price{p}, nil
}

// parseLegacyRow reads a record of the first layout as the rows it means now.
func parseLegacyRow(rec []string) ([]Price, error) {
	const (
		lProvider = iota
		lModel
		lInput
		lOutput
		lCached
		lMinInput
		lFrom
		lTo
		lSource
	)
	f := func(col int) string { return strings.TrimSpace(rec[col]) }
	base := Price{Provider: f(lProvider), Model: f(lModel), Tier: semconv.ServiceTierStandard, Per: perMillion, Source: f(lSource)}
	if err := checkNames(legacyColumns, lProvider, lModel, base.Provider, base.Model); err != nil {
		return nil, err
	}
	var err error
	if base.MinInputTokens, err = parseCount(legacyColumns, lMinInput, f(lMinInput)); err != nil {
		return nil, err
	}
	if base.EffectiveFrom, base.EffectiveTo, err = parsePeriod(legacyColumns, lFrom, lTo, f(lFrom), f(lTo)); err != nil {
		return nil, err
	}
	in, out := base, base
	in.Unit, out.Unit = InputTokens, OutputTokens
	if in.USD, err = parseUSD(legacyColumns, lInput, f(lInput)); err != nil {
		return nil, err
	}
	if out.USD, err = parseUSD(legacyColumns, lOutput, f(lOutput)); err != nil {
		return nil, err
	}
	rows := []Price{in, out}
	if s := f(lCached); s != "" {
		cached := base
		cached.Unit = CacheReadInputTokens
		if cached.USD, err = parseUSD(legacyColumns, lCached, s); err != nil {
			return nil, err
		}
		rows = append(rows, cached)
	}
	return rows, nil
}

func checkNames(columns []string, colProvider, colModel int, provider, model string) error {
	if provider == "" {
		return fieldError(columns, colProvider, "empty")
	}
	if model == "" {
		return fieldError(columns, colModel, "empty")
	}
	if isGlob(model) || strings.ContainsAny(model, `]\`) {
		if err := checkGlob(model); err != nil {
			return fieldError(columns, colModel, "%q is not a valid glob: %v", model, err)
		}
	}
	return nil
}

func parseCount(columns []string, col int, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldError(columns, col, "%q is not a whole number >= 0", s)
	}
	return n, nil
}

func parseUSD(columns []string, col int, s string) (float64, error) {
	if s == "" {
		return 0, fieldError(columns, col, "empty")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fieldError(columns, col, "%q is not a number", s)
	}
	if v < 0 {
		return 0, fieldError(columns, col, "%s is negative", s)
	}
	return v, nil
}

// parsePer reads the quantity a price is for: a number, or one followed by K or M.
func parsePer(s string) (float64, error) {
	mult := 1.0
	num := s
	switch {
	case strings.HasSuffix(s, "M"):
		mult, num = 1e6, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, num = 1e3, strings.TrimSuffix(s, "K")
	}
	v, err := strconv.ParseFloat(num, 64)
	if s == "" || err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v*mult <= 0 || math.IsInf(v*mult, 0) {
		return 0, fieldError(Columns, colPer, "%q is not a quantity > 0 (such as 1M, 1K, 3600)", s)
	}
	return v * mult, nil
}

func parsePeriod(columns []string, colFrom, colTo int, from, to string) (time.Time, time.Time, error) {
	f, err := parseDate(columns, colFrom, from)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to == "" {
		return f, time.Time{}, nil
	}
	t, err := parseDate(columns, colTo, to)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !t.After(f) {
		return time.Time{}, time.Time{}, fieldError(columns, colTo, "%s is not after %s %s", to, columns[colFrom], from)
	}
	return f, t, nil
}

func parseDate(columns []string, col int, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fieldError(columns, col, "empty")
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fieldError(columns, col, "%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

// rowKey identifies the rows among which only effective dates choose.
type rowKey struct {
	provider, model, tier string
	minInputTokens        int64
	unit                  Unit
}

// conflict reports a row p that duplicates or overlaps an earlier row q with the
// same key (read at line qLine): a lookup could not choose between them.
func conflict(q, p Price, qLine int) error {
	if q.EffectiveFrom.Equal(p.EffectiveFrom) {
		return fmt.Errorf("duplicate of line %d (same provider, model, service_tier, min_input_tokens, unit and effective_from)", qLine)
	}
	if overlaps(q, p) {
		return fmt.Errorf("effective_from..effective_to overlaps line %d for the same provider, model, service_tier, min_input_tokens and unit", qLine)
	}
	return nil
}

// overlaps reports whether the half-open periods of a and b share an instant.
func overlaps(a, b Price) bool {
	aEndsBeforeB := !a.EffectiveTo.IsZero() && !a.EffectiveTo.After(b.EffectiveFrom)
	bEndsBeforeA := !b.EffectiveTo.IsZero() && !b.EffectiveTo.After(a.EffectiveFrom)
	return !aEndsBeforeB && !bEndsBeforeA
}
