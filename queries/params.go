package queries

import (
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
	if e.Value == "" && e.Reason != "" {
		return fmt.Sprintf("report %s: parameter %s: %s", e.Report, e.Param, e.Reason)
	}
	return fmt.Sprintf("report %s: parameter %s: %q %s", e.Report, e.Param, e.Value, e.Reason)
}

// maxVarcharParam bounds free-text parameters (user ids, JSON limits).
const maxVarcharParam = 4096

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
			return nil, &ParamError{Report: r.Name, Param: n, Reason: reason}
		}
		if v == "" {
			continue
		}
		canon, err := canonical(p.Type, v)
		if err != nil {
			return nil, &ParamError{Report: r.Name, Param: n, Value: v, Reason: err.Error()}
		}
		out[n] = canon
	}
	return out, nil
}

// canonical validates v as a value of type typ and returns it in a form DuckDB casts
// unambiguously.
func canonical(typ, v string) (string, error) {
	switch typ {
	case "DATE":
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", fmt.Errorf("is not a date (want YYYY-MM-DD)")
		}
		return t.Format(time.DateOnly), nil
	case "TIMESTAMPTZ":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil { // layouts without a zone mean UTC
				return t.UTC().Format(time.RFC3339Nano), nil
			}
		}
		return "", fmt.Errorf("is not a time (want RFC 3339, e.g. 2026-11-03T15:04:05Z, or YYYY-MM-DD)")
	case "INTEGER":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return "", fmt.Errorf("is not a whole number")
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
		return v, nil
	}
	return "", fmt.Errorf("has unsupported type %s", typ)
}
