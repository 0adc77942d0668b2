package pricing

import (
	"fmt"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/usage"
)

// Unit is a billed unit: what a price row is a price of. Its name is the name of the
// usage unit it bills (usage.Units), so one vocabulary runs from the span attribute to
// the price table and the reports, plus two units only a bill has: requests (one per
// call, for per-request fees) and web_search_requests (one per call that searched,
// for fees per grounded prompt).
//
// A token unit bills its part of the call's tokens only: input_tokens is the uncached
// text input, what remains of the input total once the cached input and the
// per-modality parts are taken out; cache_read_input_tokens the cached text input;
// output_tokens the text output that is not reasoning. A part without a rate of its
// own is billed at the rate of the unit it is part of (see Unit.Fallbacks).
type Unit uint8

// The billed units, in the order bills and reports list them.
const (
	InputTokens Unit = iota
	CacheReadInputTokens
	AudioInputTokens
	AudioCacheReadInputTokens
	ImageInputTokens
	ImageCacheReadInputTokens
	VideoInputTokens
	VideoCacheReadInputTokens
	DocumentInputTokens
	DocumentCacheReadInputTokens
	OutputTokens
	ReasoningOutputTokens
	AudioOutputTokens
	ImageOutputTokens
	VideoOutputTokens
	AudioBilledSeconds
	InputCharacters
	WebSearchQueries
	WebSearchRequests
	Requests

	// NumUnits is the number of billed units.
	NumUnits
)

// unitInfo is what the table of units says about one.
type unitInfo struct {
	name string
	// fallbacks are the units whose rate bills this unit when it has none, in order.
	fallbacks []Unit
	// derived units count calls, not anything the provider reports: they are never
	// missing from a price table, only absent.
	derived bool
	// perRequestMin says a row may set min_billed: a minimum quantity per request.
	perRequestMin bool
	// coveredBy is a unit whose rate bills the same thing another way (searches per
	// query or per grounded prompt): with it, this unit is not missing.
	coveredBy Unit
	covered   bool
	// per is the quantity a price of this unit is usually quoted for.
	per float64
}

const perMillion = 1_000_000

var units = [NumUnits]unitInfo{
	InputTokens:                  {name: "input_tokens", per: perMillion},
	CacheReadInputTokens:         {name: "cache_read_input_tokens", fallbacks: []Unit{InputTokens}, per: perMillion},
	AudioInputTokens:             {name: "audio_input_tokens", fallbacks: []Unit{InputTokens}, per: perMillion},
	AudioCacheReadInputTokens:    {name: "audio_cache_read_input_tokens", fallbacks: []Unit{CacheReadInputTokens, AudioInputTokens, InputTokens}, per: perMillion},
	ImageInputTokens:             {name: "image_input_tokens", fallbacks: []Unit{InputTokens}, per: perMillion},
	ImageCacheReadInputTokens:    {name: "image_cache_read_input_tokens", fallbacks: []Unit{CacheReadInputTokens, ImageInputTokens, InputTokens}, per: perMillion},
	VideoInputTokens:             {name: "video_input_tokens", fallbacks: []Unit{InputTokens}, per: perMillion},
	VideoCacheReadInputTokens:    {name: "video_cache_read_input_tokens", fallbacks: []Unit{CacheReadInputTokens, VideoInputTokens, InputTokens}, per: perMillion},
	DocumentInputTokens:          {name: "document_input_tokens", fallbacks: []Unit{InputTokens}, per: perMillion},
	DocumentCacheReadInputTokens: {name: "document_cache_read_input_tokens", fallbacks: []Unit{CacheReadInputTokens, DocumentInputTokens, InputTokens}, per: perMillion},
	OutputTokens:                 {name: "output_tokens", per: perMillion},
	ReasoningOutputTokens:        {name: "reasoning_output_tokens", fallbacks: []Unit{OutputTokens}, per: perMillion},
	AudioOutputTokens:            {name: "audio_output_tokens", fallbacks: []Unit{OutputTokens}, per: perMillion},
	ImageOutputTokens:            {name: "image_output_tokens", fallbacks: []Unit{OutputTokens}, per: perMillion},
	VideoOutputTokens:            {name: "video_output_tokens", fallbacks: []Unit{OutputTokens}, per: perMillion},
	AudioBilledSeconds:           {name: "audio_billed_seconds", perRequestMin: true, per: 3600},
	InputCharacters:              {name: "input_characters", per: perMillion},
	WebSearchQueries:             {name: "web_search_queries", coveredBy: WebSearchRequests, covered: true, per: 1000},
	WebSearchRequests:            {name: "web_search_requests", derived: true, per: 1000},
	Requests:                     {name: "requests", derived: true, per: 1000},
}

// String is the unit's name ("audio_input_tokens").
func (u Unit) String() string {
	if u < NumUnits {
		return units[u].name
	}
	return fmt.Sprintf("unit(%d)", uint8(u))
}

// Fallbacks are the units whose rate bills u when the table has no rate for u, most
// specific first: cached audio input at the audio cached rate, else the cached rate,
// else the audio input rate, else the input rate.
func (u Unit) Fallbacks() []Unit { return append([]Unit(nil), units[u].fallbacks...) }

// Derived reports whether u counts calls (requests, web_search_requests) rather than
// something the provider reports.
func (u Unit) Derived() bool { return units[u].derived }

// Per is the quantity a price of u is usually quoted for: a million tokens or
// characters, an hour (3,600 s) of audio, a thousand searches or requests.
func (u Unit) Per() float64 { return units[u].per }

// Units returns every billed unit, in order.
func Units() []Unit {
	out := make([]Unit, NumUnits)
	for i := range out {
		out[i] = Unit(i)
	}
	return out
}

// ParseUnit returns the unit named name.
func ParseUnit(name string) (Unit, bool) {
	for u := range NumUnits {
		if units[u].name == name {
			return u, true
		}
	}
	return 0, false
}

// unitNames lists the units' names for error messages.
func unitNames() string {
	names := make([]string, NumUnits)
	for u := range NumUnits {
		names[u] = units[u].name
	}
	return strings.Join(names, ", ")
}

// measuredOnly are usage units that describe a call but are billed through another:
// the measured audio duration is billed as audio_billed_seconds.
var measuredOnly = map[string]Unit{"audio_seconds": AudioBilledSeconds}

// Quantities are a call's billed quantities per unit, as a bill prices them.
type Quantities [NumUnits]float64

// QuantitiesOf splits u into billed units: each total less the parts billed apart, so
// that every token is billed exactly once. Counts below zero count as zero, and a
// part larger than its total is cut to it, so bad counts never bill more tokens than
// the call reported nor a negative amount. The billed audio duration is the one u
// gives, else the measured one; a price row's min_billed raises it when priced.
func QuantitiesOf(u *usage.Usage) Quantities {
	var q Quantities
	in := max(u.InputTokens, 0)
	cached := min(max(u.CacheReadInputTokens, 0), in)

	// Per-modality input and its cached part, each within its totals.
	type part struct {
		in, cached         int64
		inUnit, cachedUnit Unit
	}
	parts := [...]part{
		{u.AudioInputTokens, u.AudioCacheReadInputTokens, AudioInputTokens, AudioCacheReadInputTokens},
		{u.ImageInputTokens, u.ImageCacheReadInputTokens, ImageInputTokens, ImageCacheReadInputTokens},
		{u.VideoInputTokens, u.VideoCacheReadInputTokens, VideoInputTokens, VideoCacheReadInputTokens},
		{u.DocumentInputTokens, u.DocumentCacheReadInputTokens, DocumentInputTokens, DocumentCacheReadInputTokens},
	}
	var partsUncached, partsCached int64
	for _, p := range parts {
		pin := min(max(p.in, 0), in)
		pc := min(max(p.cached, 0), cached, pin)
		q[p.inUnit] = float64(pin - pc)
		q[p.cachedUnit] = float64(pc)
		partsUncached += pin - pc
		partsCached += pc
	}
	q[InputTokens] = float64(max(in-cached-partsUncached, 0))
	q[CacheReadInputTokens] = float64(max(cached-partsCached, 0))

	out := max(u.OutputTokens, 0)
	reasoning := min(max(u.ReasoningOutputTokens, 0), out)
	audioOut := min(max(u.AudioOutputTokens, 0), out)
	imageOut := min(max(u.ImageOutputTokens, 0), out)
	videoOut := min(max(u.VideoOutputTokens, 0), out)
	q[ReasoningOutputTokens] = float64(reasoning)
	q[AudioOutputTokens] = float64(audioOut)
	q[ImageOutputTokens] = float64(imageOut)
	q[VideoOutputTokens] = float64(videoOut)
	q[OutputTokens] = float64(max(out-reasoning-audioOut-imageOut-videoOut, 0))

	seconds := u.AudioBilledSeconds
	if !(seconds > 0) {
		seconds = u.AudioSeconds
	}
	if seconds > 0 { // also false for NaN
		q[AudioBilledSeconds] = seconds
	}
	q[InputCharacters] = float64(max(u.InputCharacters, 0))
	if u.WebSearchQueries > 0 {
		q[WebSearchQueries] = float64(u.WebSearchQueries)
		q[WebSearchRequests] = 1
	}
	q[Requests] = 1
	return q
}

// UnitSet is a set of units.
type UnitSet uint32

// Has reports whether u is in s.
func (s UnitSet) Has(u Unit) bool { return s&(1<<u) != 0 }

// Add returns s with u.
func (s UnitSet) Add(u Unit) UnitSet { return s | 1<<u }

// String lists the units' names in order, comma-separated ("audio_billed_seconds,input_characters").
func (s UnitSet) String() string {
	var b strings.Builder
	for u := range NumUnits {
		if s.Has(u) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(units[u].name)
		}
	}
	return b.String()
}
