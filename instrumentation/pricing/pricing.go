// Package pricing is the aiusage price table and the cost of a call under it.
//
// A row is the price of one billed unit (input tokens, cached input tokens, audio
// input tokens, billed audio seconds, characters, search queries, requests...) of a
// model, or of every model a glob matches, in one service tier (standard, flex,
// priority, batch, provisioned), from a prompt size on (Gemini 2.5 Pro bills prompts
// over 200K tokens at higher rates), during a period, with the page it comes from and
// the day it was checked. A unit is named as the usage unit it bills (usage.Units), so
// the names on spans, in the table and in the reports are one vocabulary.
//
// The table ships embedded (prices.csv in this folder, see [Default]); an app or the
// CLI may load its own with [Parse] or [Load]. A call is priced by [Table.Bill]: a
// model with no rows is unpriced, never free; a call using a unit the model has no
// rate for is partially priced and names the unit; a tier without rows is priced at
// the standard tier and says so.
//
// The reports price stored calls in SQL by the same rules (queries/, the ai_usage_priced
// macro of the schema); a test records calls through the library, lands them through
// the exporter and checks that each call's cost is the same both ways.
package pricing

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"
)

//go:embed prices.csv
var embedded []byte

// Price is one row of the table: what a provider charges for one unit of a model.
type Price struct {
	// Provider is the gen_ai.provider.name value: "groq", "gcp.gemini", "gcp.vertex_ai".
	Provider string
	// Model is an exact model name or a glob ("gemini-2.0-flash-0*"). An exact name
	// beats a glob; a longer glob beats a shorter one.
	Model string
	// Tier is the service tier the price is for (semconv.ServiceTier*).
	Tier string
	// MinInputTokens is the prompt size from which the price applies: of a unit's
	// rows a call's prompt reaches, the one with the highest MinInputTokens wins.
	MinInputTokens int64
	// Unit is what is priced.
	Unit Unit
	// USD is the price of Per units: 0.30 per 1,000,000 tokens, 0.111 per 3,600 s.
	USD, Per float64
	// MinBilled is the least quantity billed per request that uses the unit (Groq
	// Whisper bills at least 10 s); zero for none. Only audio_billed_seconds has one.
	MinBilled float64
	// EffectiveFrom is the first day the price is in force; EffectiveTo the first day
	// it no longer is, zero while it still is. Days are UTC.
	EffectiveFrom, EffectiveTo time.Time
	// Checked is the day the price was last checked against Source; zero if unknown.
	Checked time.Time
	// Source says where the price comes from.
	Source string
}

// Cost is the USD price of quantity units at p.
func (p *Price) Cost(quantity float64) float64 {
	return quantity * (p.USD / p.Per)
}

// active reports whether p is in force at t.
func (p *Price) active(t time.Time) bool {
	return !t.Before(p.EffectiveFrom) && (p.EffectiveTo.IsZero() || t.Before(p.EffectiveTo))
}

// Default returns the table embedded in the library (prices.csv).
func Default() *Table {
	return defaultTable()
}

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(bytes.NewReader(embedded))
	if err != nil {
		// The embedded file is part of the build and checked by the package tests.
		panic(fmt.Sprintf("pricing: embedded prices.csv: %v", err))
	}
	return t
})

// DefaultFingerprint identifies the embedded table's content: it changes when a release
// ships other prices, so that a store filled from an earlier built-in table can be told
// apart from one an analyst loaded, and refreshed.
func DefaultFingerprint() string {
	sum := sha256.Sum256(embedded)
	return "prices.csv sha256:" + hex.EncodeToString(sum[:8])
}

// Load reads and validates a price table from a file, in the prices.csv layout or
// the older one-row-per-model layout (see [Parse]).
func Load(name string) (*Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open price table: %w", err)
	}
	defer f.Close()
	t, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}
