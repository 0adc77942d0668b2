package queries

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParamError is a parameter value a report cannot take.
type ParamError struct {
	Report, Param, Value string
	Reason               string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("report %s: parameter %s: %s", e.Report, e.Param, e.Detail())
}

// Detail is what is wrong with the value: a short quoted prefix of it, never the
// whole of a long one, and the reason.
func (e *ParamError) Detail() string {
	if e.Value == "" {
		return e.Reason
	}
	return Quote(e.Value) + " " + e.Reason
}

// maxVarcharParam bounds free-text parameters (user ids, JSON limits).
const maxVarcharParam = 4096

// quoteMax is how many bytes of a bad value an error message repeats.
const quoteMax = 64

// Quote quotes s for an error message, cut to its first bytes when long, so that an
// error never echoes a large value back.
func Quote(s string) string {
	if len(s) <= quoteMax {
		return strconv.Quote(s)
	}
	cut := quoteMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// Bind checks args against the report's parameters and returns each parameter's value
// in the canonical text form DuckDB casts to the parameter's type; a parameter not in
// args is absent from the result (the query's default applies). An empty value counts
// as not given.
func (r *Report) Bind(args map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(args))
	names := make([]string, 0, len(args))
	for n := range args {
		names = append(names, n)
	}
	sort.Strings(names) // report the first bad one deterministically
	for _, n := range names {
		v := strings.TrimSpace(args[n])
		p, ok := r.Param(n)
		if !ok {
			known := make([]string, len(r.Params))
			for i, p := range r.Params {
				known[i] = p.Name
			}
			reason := "not a parameter of this report (it takes none)"
			if len(known) > 0 {
				reason = "not a parameter of this report (it takes " + strings.Join(known, ", ") + ")"
			}
			return nil, &ParamError{Report: r.Name, Param: shorten(n), Reason: reason}
		}
		if v == "" {
			continue
		}
		canon, err := p.canonical(v)
		if err != nil {
			return nil, &ParamError{Report: r.Name, Param: n, Value: v, Reason: err.Error()}
		}
		out[n] = canon
	}
	return out, nil
}

// shorten cuts a name that is not a parameter to the length an error may repeat,
// quoted if cut.
func shorten(name string) string {
	if len(name) <= quoteMax {
		return name
	}
	return Quote(name)
}

// canonical validates v as a value of the parameter and returns it in a form DuckDB
// casts unambiguously, within the range or shape the header declares.
func (p Param) canonical(v string) (string, error) {
	switch p.Type {
	case "DATE":
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", fmt.Errorf("is not a date (want YYYY-MM-DD)")
		}
		return t.Format(time.DateOnly), nil
	case "TIMESTAMPTZ":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil { // layouts without a zone mean UTC
				if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
					return "", fmt.Errorf("is outside the years 0000 to 9999 (in UTC)")
				}
				return t.Format(time.RFC3339Nano), nil
			}
		}
		return "", fmt.Errorf("is not a time (want RFC 3339, e.g. 2026-11-03T15:04:05Z, or YYYY-MM-DD)")
	case "INTEGER":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "", fmt.Errorf("is not a whole number")
		}
		if rg := p.bounds(); err != nil || n < rg.Min || n > rg.Max {
			return "", fmt.Errorf("is out of range (want %s)", rg)
		}
		return strconv.FormatInt(n, 10), nil
	case "DOUBLE":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("is not a finite number")
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case "VARCHAR":
		if len(v) > maxVarcharParam || !utf8.ValidString(v) {
			return "", fmt.Errorf("is not valid UTF-8 text of at most %d bytes", maxVarcharParam)
		}
		if p.Shape != "" {
			shape, err := parseShape(p.Shape)
			if err != nil {
				return "", err
			}
			doc, err := decodeJSON(v)
			if err != nil {
				return "", err
			}
			if err := shape.match(doc, ""); err != nil {
				return "", fmt.Errorf("does not fit the JSON shape %s: %w", p.Shape, err)
			}
		}
		return v, nil
	}
	return "", fmt.Errorf("has unsupported type %s", p.Type)
}

// Range bounds an INTEGER parameter, both ends included.
type Range struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

func (r Range) String() string { return fmt.Sprintf("%d..%d", r.Min, r.Max) }

// bounds is the parameter's declared range, or that of DuckDB's INTEGER.
func (p Param) bounds() Range {
	if p.Range != nil {
		return *p.Range
	}
	return Range{math.MinInt32, math.MaxInt32}
}
