// Package usage is what a provider call consumed, in the units the provider bills:
// the one type that the response parsers fill, the span records and the price
// table prices.
//
// A new billed unit (audio seconds, per-modality tokens, characters, search
// queries) is a field on [Usage] and one entry in the unit table of this package,
// which names its span attribute (from package semconv) and its kind; the span
// attributes are set from that table.
package usage

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Usage is a call's consumption with the provider's billed semantics, as the
// GenAI semantic conventions define the totals.
type Usage struct {
	// InputTokens includes cached input; Gemini: prompt + tool-use prompt.
	InputTokens int64
	// OutputTokens includes reasoning; Gemini: candidates + thoughts.
	OutputTokens int64
	// CacheReadInputTokens is the part of InputTokens served from the provider's cache.
	CacheReadInputTokens int64
	// ReasoningOutputTokens is the part of OutputTokens spent reasoning (Gemini: thoughts).
	ReasoningOutputTokens int64
}

// ModelUsage is the usage of one model of a call that used several: a Groq
// compound model's sub-models, each billed at its own price.
type ModelUsage struct {
	Model string
	Usage Usage
}

// Kind is how a unit is measured.
type Kind uint8

const (
	// Count is a whole number (tokens, characters, queries), recorded as an int64.
	Count Kind = iota
	// Seconds is a duration in seconds, recorded as a float64.
	Seconds
)

// Unit is one billed unit of Usage.
type Unit struct {
	// Name is the unit's short name, as a price table or a report names it ("input_tokens").
	Name string
	// Key is the span attribute the unit is recorded as.
	Key  attribute.Key
	Kind Kind
	// Always says the unit is recorded even when zero, as the GenAI token totals and
	// their details are on every call with usage; other units only when non-zero.
	Always bool

	count   func(*Usage) *int64   // Kind Count
	seconds func(*Usage) *float64 // Kind Seconds
}

// units is the table of billed units, in the order their attributes are set.
var units = []Unit{
	countUnit("input_tokens", semconv.GenAIUsageInputTokens, true, func(u *Usage) *int64 { return &u.InputTokens }),
	countUnit("output_tokens", semconv.GenAIUsageOutputTokens, true, func(u *Usage) *int64 { return &u.OutputTokens }),
	countUnit("cache_read_input_tokens", semconv.GenAIUsageCacheReadInput, true, func(u *Usage) *int64 { return &u.CacheReadInputTokens }),
	countUnit("reasoning_output_tokens", semconv.GenAIUsageReasoningOutput, true, func(u *Usage) *int64 { return &u.ReasoningOutputTokens }),
}

func countUnit(name string, key attribute.Key, always bool, field func(*Usage) *int64) Unit {
	return Unit{Name: name, Key: key, Kind: Count, Always: always, count: field}
}

func secondsUnit(name string, key attribute.Key, always bool, field func(*Usage) *float64) Unit {
	return Unit{Name: name, Key: key, Kind: Seconds, Always: always, seconds: field}
}

// Units returns the billed units, in the order Attributes records them.
func Units() []Unit {
	return append([]Unit(nil), units...)
}

// Attributes appends u's span attributes to dst: every unit marked Always, and
// every other unit whose value is not zero.
func (u *Usage) Attributes(dst []attribute.KeyValue) []attribute.KeyValue {
	for i := range units {
		n := &units[i]
		switch n.Kind {
		case Count:
			if v := *n.count(u); v != 0 || n.Always {
				dst = append(dst, n.Key.Int64(v))
			}
		case Seconds:
			if v := *n.seconds(u); v != 0 || n.Always {
				dst = append(dst, n.Key.Float64(v))
			}
		}
	}
	return dst
}
