package emulator

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Config says how the emulated providers behave. The zero value is usable: Groq gets
// [DefaultGroqLimits], Gemini gets no limits, the clock is time.Now.
type Config struct {
	// Now is the clock for quotas, ids and timestamps; nil means time.Now.
	Now func() time.Time
	// ChunkDelay is waited before each stream chunk after the first, so a stream takes
	// time like a real one; 0 sends chunks as fast as possible.
	ChunkDelay time.Duration
	// APIKey, when set, is the only key both providers accept. When empty any
	// non-empty key is accepted; a missing key is always rejected, as the real APIs do.
	APIKey string

	// GroqLimits apply to every Groq model without an entry in GroqModelLimits.
	// Zero fields take the values of DefaultGroqLimits.
	GroqLimits GroqLimits
	// GroqModelLimits holds per-model Groq limits, keyed by the request's model.
	GroqModelLimits map[string]GroqLimits
	// GroqRegion is sent in x-groq-region; empty means "us-east-1".
	GroqRegion string
	// GroqAudioLimits apply to every speech-to-text model. Zero fields take the values
	// of DefaultGroqAudioLimits.
	GroqAudioLimits GroqAudioLimits

	// GeminiLimits apply to every Gemini model without an entry in GeminiModelLimits.
	// A zero field means no limit of that kind.
	GeminiLimits GeminiLimits
	// GeminiModelLimits holds per-model Gemini limits, keyed by model name without "models/".
	GeminiModelLimits map[string]GeminiLimits
}

// GroqLimits are one Groq organisation's limits for one model. Groq reports the requests
// limit per day and the tokens limit per minute in its x-ratelimit-* headers.
type GroqLimits struct {
	RequestsPerDay  int
	TokensPerMinute int
}

// GeminiLimits are one project's free-tier limits for one Gemini model.
type GeminiLimits struct {
	RequestsPerMinute int
	RequestsPerDay    int
	// TokensPerMinute counts input (prompt) tokens, as Gemini's quota does.
	TokensPerMinute int
}

// DefaultGroqLimits are the free-tier limits Groq reported for openai/gpt-oss-120b.
var DefaultGroqLimits = GroqLimits{RequestsPerDay: 1000, TokensPerMinute: 8000}

// FreeTierGeminiLimits are the free-tier limits once published for Gemini 2.5 Flash (Google
// no longer publishes them and has cut them since): a realistic setting for GeminiLimits.
var FreeTierGeminiLimits = GeminiLimits{RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 250000}

// maxLimit keeps a bucket's refill interval at least a nanosecond.
const maxLimit = 1_000_000_000

// Validate reports every bad field of c.
func (c Config) Validate() error {
	var errs []error
	if c.ChunkDelay < 0 {
		errs = append(errs, fmt.Errorf("ChunkDelay: must not be negative, got %v", c.ChunkDelay))
	}
	errs = append(errs, c.GroqLimits.validate("GroqLimits")...)
	for model, l := range c.GroqModelLimits {
		errs = append(errs, l.validate(fmt.Sprintf("GroqModelLimits[%q]", model))...)
	}
	errs = append(errs, validLimits("GroqAudioLimits", map[string]int{
		"RequestsPerDay": c.GroqAudioLimits.RequestsPerDay, "AudioSecondsPerHour": c.GroqAudioLimits.AudioSecondsPerHour,
		"AudioSecondsPerDay": c.GroqAudioLimits.AudioSecondsPerDay,
	})...)
	errs = append(errs, c.GeminiLimits.validate("GeminiLimits")...)
	for model, l := range c.GeminiModelLimits {
		errs = append(errs, l.validate(fmt.Sprintf("GeminiModelLimits[%q]", model))...)
	}
	return errors.Join(errs...)
}

func (l GroqLimits) validate(field string) []error {
	return validLimits(field, map[string]int{"RequestsPerDay": l.RequestsPerDay, "TokensPerMinute": l.TokensPerMinute})
}

func (l GeminiLimits) validate(field string) []error {
	return validLimits(field, map[string]int{
		"RequestsPerMinute": l.RequestsPerMinute, "RequestsPerDay": l.RequestsPerDay, "TokensPerMinute": l.TokensPerMinute,
	})
}

func validLimits(field string, values map[string]int) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if v := values[name]; v < 0 || v > maxLimit {
			errs = append(errs, fmt.Errorf("%s.%s: must be between 0 and %d, got %d", field, name, maxLimit, v))
		}
	}
	return errs
}

// groqLimits returns the limits in force for model, defaults filled in.
func (c Config) groqLimits(model string) GroqLimits {
	l, ok := c.GroqModelLimits[model]
	if !ok {
		l = c.GroqLimits
	}
	if l.RequestsPerDay == 0 {
		l.RequestsPerDay = DefaultGroqLimits.RequestsPerDay
	}
	if l.TokensPerMinute == 0 {
		l.TokensPerMinute = DefaultGroqLimits.TokensPerMinute
	}
	return l
}

// groqAudioLimits returns the speech-to-text limits in force, defaults filled in.
func (c Config) groqAudioLimits() GroqAudioLimits {
	l, d := c.GroqAudioLimits, DefaultGroqAudioLimits
	if l.RequestsPerDay == 0 {
		l.RequestsPerDay = d.RequestsPerDay
	}
	if l.AudioSecondsPerHour == 0 {
		l.AudioSecondsPerHour = d.AudioSecondsPerHour
	}
	if l.AudioSecondsPerDay == 0 {
		l.AudioSecondsPerDay = d.AudioSecondsPerDay
	}
	return l
}

// geminiLimits returns the limits in force for model.
func (c Config) geminiLimits(model string) GeminiLimits {
	if l, ok := c.GeminiModelLimits[model]; ok {
		return l
	}
	return c.GeminiLimits
}
