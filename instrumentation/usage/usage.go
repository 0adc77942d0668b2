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

	// Per-modality parts of the totals above, as the provider reports them; the text
	// part is what remains. AudioInputTokens includes cached audio, which
	// AudioCacheReadInputTokens also counts (and likewise for the other modalities).
	AudioInputTokens, ImageInputTokens, VideoInputTokens, DocumentInputTokens int64
	AudioOutputTokens, ImageOutputTokens, VideoOutputTokens                   int64
	AudioCacheReadInputTokens, ImageCacheReadInputTokens                      int64
	VideoCacheReadInputTokens, DocumentCacheReadInputTokens                   int64

	// AudioSeconds is the measured duration of the audio sent (speech-to-text).
	AudioSeconds float64
	// AudioBilledSeconds is the duration billed, after the provider's minimum per
	// request; zero when not known yet (the price table's minimum then applies).
	AudioBilledSeconds float64
	// InputCharacters is the characters billed (text-to-speech, character-billed embeddings).
	InputCharacters int64
	// WebSearchQueries is the search queries a grounded call ran.
	WebSearchQueries int64
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
	countUnit("audio_input_tokens", semconv.UsageAudioInputTokens, false, func(u *Usage) *int64 { return &u.AudioInputTokens }),
	countUnit("image_input_tokens", semconv.UsageImageInputTokens, false, func(u *Usage) *int64 { return &u.ImageInputTokens }),
	countUnit("video_input_tokens", semconv.UsageVideoInputTokens, false, func(u *Usage) *int64 { return &u.VideoInputTokens }),
	countUnit("document_input_tokens", semconv.UsageDocumentInputTokens, false, func(u *Usage) *int64 { return &u.DocumentInputTokens }),
	countUnit("audio_output_tokens", semconv.UsageAudioOutputTokens, false, func(u *Usage) *int64 { return &u.AudioOutputTokens }),
	countUnit("image_output_tokens", semconv.UsageImageOutputTokens, false, func(u *Usage) *int64 { return &u.ImageOutputTokens }),
	countUnit("video_output_tokens", semconv.UsageVideoOutputTokens, false, func(u *Usage) *int64 { return &u.VideoOutputTokens }),
	countUnit("audio_cache_read_input_tokens", semconv.UsageAudioCacheReadInputTokens, false, func(u *Usage) *int64 { return &u.AudioCacheReadInputTokens }),
	countUnit("image_cache_read_input_tokens", semconv.UsageImageCacheReadInputTokens, false, func(u *Usage) *int64 { return &u.ImageCacheReadInputTokens }),
	countUnit("video_cache_read_input_tokens", semconv.UsageVideoCacheReadInputTokens, false, func(u *Usage) *int64 { return &u.VideoCacheReadInputTokens }),
	countUnit("document_cache_read_input_tokens", semconv.UsageDocumentCacheReadInputTokens, false, func(u *Usage) *int64 { return &u.DocumentCacheReadInputTokens }),
	secondsUnit("audio_seconds", semconv.UsageAudioSeconds, false, func(u *Usage) *float64 { return &u.AudioSeconds }),
	secondsUnit("audio_billed_seconds", semconv.UsageAudioBilledSeconds, false, func(u *Usage) *float64 { return &u.AudioBilledSeconds }),
	countUnit("input_characters", semconv.UsageInputCharacters, false, func(u *Usage) *int64 { return &u.InputCharacters }),
	countUnit("web_search_queries", semconv.UsageWebSearchQueries, false, func(u *Usage) *int64 { return &u.WebSearchQueries }),
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
