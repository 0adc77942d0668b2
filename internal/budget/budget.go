// Package budget is the vocabulary of aiusage spending budgets: a cap on the cost recorded
// at the calls of one scope (every call, a provider, a model, a user, a project or an
// action) per day or calendar month in a stated time zone, with warning thresholds. It
// validates budgets naming each bad field, reads them from a file, and keeps them in the
// DuckDB budgets table (internal/schema migration 0004), which the budgets report and
// the exporter read.
package budget

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // any IANA zone, on hosts without zoneinfo
	"unicode"
)

// Scopes: what a budget's calls have in common.
const (
	ScopeAll      = "all"      // every call
	ScopeProvider = "provider" // gen_ai.provider.name
	ScopeModel    = "model"    // the response model, else the request model
	ScopeUser     = "user"     // user.id
	ScopeProject  = "project"  // aiusage.project.id
	ScopeAction   = "action"   // aiusage.action.type
)

// Periods a budget renews on, at midnight in its time zone.
const (
	PeriodDay   = "day"
	PeriodMonth = "month"
)

// Scopes and Periods list the values, in the order errors name them.
var (
	Scopes  = []string{ScopeAll, ScopeProvider, ScopeModel, ScopeUser, ScopeProject, ScopeAction}
	Periods = []string{PeriodDay, PeriodMonth}
)

// MaxThreshold bounds a threshold: 10 is ten times the amount; beyond that a warning
// says nothing a lower one did not.
const MaxThreshold = 10

// DefaultThresholds warn at half the amount, at 80 % and when it is spent.
var DefaultThresholds = []float64{0.5, 0.8, 1}

// maxName bounds a budget's name, which log lines, metrics and webhooks carry.
const maxName = 128

// Budget is one spending budget.
type Budget struct {
	// Name identifies the budget: the key of set and delete, the label of its metric.
	Name string `json:"name" yaml:"name"`
	// Scope is one of Scopes; Value the provider, model, user, project or action it
	// applies to ("" for ScopeAll).
	Scope string `json:"scope" yaml:"scope"`
	Value string `json:"value" yaml:"value"`
	// Period is PeriodDay or PeriodMonth, renewing at midnight in TimeZone (an IANA
	// name such as "Europe/Paris"; "" means UTC).
	Period   string `json:"period" yaml:"period"`
	TimeZone string `json:"time_zone" yaml:"time_zone"`
	// AmountUSD is the budget per period, in USD.
	AmountUSD float64 `json:"amount_usd" yaml:"amount_usd"`
	// Thresholds are the fractions of AmountUSD at which a crossing is reported, each
	// in (0, MaxThreshold]: 0.8 is 80 %, 1 the whole amount. Empty means DefaultThresholds.
	Thresholds []float64 `json:"thresholds" yaml:"thresholds"`
	// ProviderCap marks a cap the provider enforces (a Gemini project spend cap): past
	// it the provider refuses calls, not only this budget's warnings.
	ProviderCap bool `json:"provider_cap" yaml:"provider_cap"`
}

// FieldError is a bad budget field: the key the file and the table use, and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Normalize fills the defaults (UTC, DefaultThresholds) and sorts the thresholds.
func (b *Budget) Normalize() {
	b.Name, b.Scope, b.Period = strings.TrimSpace(b.Name), strings.ToLower(strings.TrimSpace(b.Scope)), strings.ToLower(strings.TrimSpace(b.Period))
	b.TimeZone = strings.TrimSpace(b.TimeZone)
	if b.TimeZone == "" {
		b.TimeZone = "UTC"
	}
	if len(b.Thresholds) == 0 {
		b.Thresholds = slices.Clone(DefaultThresholds)
	}
	slices.Sort(b.Thresholds)
	b.Thresholds = slices.Compact(b.Thresholds)
}

// Validate reports every bad field of b, each a *FieldError naming its key. Call
// Normalize first.
func (b *Budget) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	switch {
	case b.Name == "":
		bad("name", "empty; every budget needs a name")
	case len(b.Name) > maxName:
		bad("name", "%d bytes, more than %d", len(b.Name), maxName)
	case strings.ContainsFunc(b.Name, unicode.IsControl):
		bad("name", "%q holds control characters", b.Name)
	}
	switch {
	case !slices.Contains(Scopes, b.Scope):
		bad("scope", "%q is not one of %s", b.Scope, strings.Join(Scopes, ", "))
	case b.Scope == ScopeAll && b.Value != "":
		bad("value", "%q given with scope all, which covers every call", b.Value)
	case b.Scope != ScopeAll && b.Value == "":
		bad("value", "empty; scope %s needs the %s it applies to", b.Scope, b.Scope)
	}
	if !slices.Contains(Periods, b.Period) {
		bad("period", "%q is not one of %s", b.Period, strings.Join(Periods, ", "))
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "Local" {
		bad("time_zone", "%q is not an IANA time zone such as UTC or Europe/Paris", b.TimeZone)
	}
	switch a := b.AmountUSD; {
	case math.IsNaN(a) || math.IsInf(a, 0):
		bad("amount_usd", "%v is not a number of USD", a)
	case a < 0:
		bad("amount_usd", "%v is negative", a)
	case a == 0:
		bad("amount_usd", "0; a budget is a positive amount of USD")
	}
	for i, t := range b.Thresholds {
		switch {
		case math.IsNaN(t) || t <= 0:
			bad(fmt.Sprintf("thresholds[%d]", i), "%v is not above 0", t)
		case t > MaxThreshold:
			bad(fmt.Sprintf("thresholds[%d]", i), "%v is above %d (thresholds are fractions of the amount: 0.8 is 80%%, 1 the whole amount)", t, MaxThreshold)
		}
	}
	return errors.Join(errs...)
}

// Location is b's time zone; b must Validate.
func (b *Budget) Location() *time.Location {
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ParseThresholds reads a comma-separated list of thresholds: fractions (0.5, 1) or
// percentages (50%, 100%).
func ParseThresholds(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		pct := strings.HasSuffix(part, "%")
		v, err := strconv.ParseFloat(strings.TrimSuffix(part, "%"), 64)
		if err != nil {
			return nil, &FieldError{Field: "thresholds", Reason: fmt.Sprintf("%q is not a number or a percentage", part)}
		}
		if pct {
			v /= 100
		}
		out = append(out, v)
	}
	return out, nil
}
