// Package semconv is the one place aiusage names its telemetry: the OpenTelemetry
// GenAI semantic conventions (v1.41.0) it records and its own aiusage.* attributes,
// metric names, units and enumerated values. The instrumentation writes these names,
// the DuckDB exporter reads them, and the dashboards query them.
package semconv

import (
	"go.opentelemetry.io/otel/attribute"
	otelconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// SchemaURL is the semantic-conventions schema the instrumentation records against.
const SchemaURL = otelconv.SchemaURL

// GenAI semantic-convention attributes.
const (
	GenAIOperationName            = otelconv.GenAIOperationNameKey
	GenAIProviderName             = otelconv.GenAIProviderNameKey
	GenAIRequestModel             = otelconv.GenAIRequestModelKey
	GenAIRequestStream            = otelconv.GenAIRequestStreamKey
	GenAIResponseModel            = otelconv.GenAIResponseModelKey
	GenAIResponseID               = otelconv.GenAIResponseIDKey
	GenAIResponseFinishReasons    = otelconv.GenAIResponseFinishReasonsKey
	GenAIResponseTimeToFirstChunk = otelconv.GenAIResponseTimeToFirstChunkKey
	GenAIUsageInputTokens         = otelconv.GenAIUsageInputTokensKey
	GenAIUsageOutputTokens        = otelconv.GenAIUsageOutputTokensKey
	GenAIUsageCacheReadInput      = otelconv.GenAIUsageCacheReadInputTokensKey
	GenAIUsageReasoningOutput     = otelconv.GenAIUsageReasoningOutputTokensKey
	GenAITokenType                = otelconv.GenAITokenTypeKey
	// Content, recorded only when the app opts in.
	GenAIInputMessages      = otelconv.GenAIInputMessagesKey
	GenAISystemInstructions = otelconv.GenAISystemInstructionsKey
)

// General semantic-convention attributes.
const (
	ServerAddress          = otelconv.ServerAddressKey
	ServerPort             = otelconv.ServerPortKey
	HTTPResponseStatusCode = otelconv.HTTPResponseStatusCodeKey
	ErrorType              = otelconv.ErrorTypeKey
	UserID                 = otelconv.UserIDKey
	ServiceName            = otelconv.ServiceNameKey
)

// aiusage attribution attributes.
const (
	ProjectID  = attribute.Key("aiusage.project.id")
	ActionType = attribute.Key("aiusage.action.type")
)

// aiusage quota attributes on spans. Groq's request window is a day and its token
// window a minute; resets and retry delays are in seconds.
const (
	RateLimitRequestsLimit     = attribute.Key("aiusage.ratelimit.requests.limit")
	RateLimitRequestsRemaining = attribute.Key("aiusage.ratelimit.requests.remaining")
	RateLimitRequestsReset     = attribute.Key("aiusage.ratelimit.requests.reset")
	RateLimitTokensLimit       = attribute.Key("aiusage.ratelimit.tokens.limit")
	RateLimitTokensRemaining   = attribute.Key("aiusage.ratelimit.tokens.remaining")
	RateLimitTokensReset       = attribute.Key("aiusage.ratelimit.tokens.reset")
	RateLimitRetryAfter        = attribute.Key("aiusage.ratelimit.retry_after")
	// Groq speech-to-text: seconds of audio per hour (x-ratelimit-*-audio-seconds).
	RateLimitAudioSecondsLimit     = attribute.Key("aiusage.ratelimit.audio_seconds.limit")
	RateLimitAudioSecondsRemaining = attribute.Key("aiusage.ratelimit.audio_seconds.remaining")
	RateLimitAudioSecondsReset     = attribute.Key("aiusage.ratelimit.audio_seconds.reset")
	// Gemini 429 QuotaFailure details.
	RateLimitQuotaID     = attribute.Key("aiusage.ratelimit.quota_id")
	RateLimitQuotaMetric = attribute.Key("aiusage.ratelimit.quota_metric")
	RateLimitQuotaValue  = attribute.Key("aiusage.ratelimit.quota_value")
)

// aiusage quota attributes on metric points.
const (
	RateLimitResource = attribute.Key("aiusage.ratelimit.resource")
	RateLimitWindow   = attribute.Key("aiusage.ratelimit.window")
	RateLimitSource   = attribute.Key("aiusage.ratelimit.source")
)

// Billed units beyond the GenAI token totals. Each per-modality count is a part of
// the gen_ai total it names (input, output, cache_read input), which stays as the
// provider reports it; text is the rest.
const (
	UsageAudioInputTokens             = attribute.Key("aiusage.usage.audio.input_tokens")
	UsageImageInputTokens             = attribute.Key("aiusage.usage.image.input_tokens")
	UsageVideoInputTokens             = attribute.Key("aiusage.usage.video.input_tokens")
	UsageDocumentInputTokens          = attribute.Key("aiusage.usage.document.input_tokens")
	UsageAudioOutputTokens            = attribute.Key("aiusage.usage.audio.output_tokens")
	UsageImageOutputTokens            = attribute.Key("aiusage.usage.image.output_tokens")
	UsageVideoOutputTokens            = attribute.Key("aiusage.usage.video.output_tokens")
	UsageAudioCacheReadInputTokens    = attribute.Key("aiusage.usage.audio.cache_read.input_tokens")
	UsageImageCacheReadInputTokens    = attribute.Key("aiusage.usage.image.cache_read.input_tokens")
	UsageVideoCacheReadInputTokens    = attribute.Key("aiusage.usage.video.cache_read.input_tokens")
	UsageDocumentCacheReadInputTokens = attribute.Key("aiusage.usage.document.cache_read.input_tokens")
	// UsageAudioSeconds is the measured duration of the audio sent (speech-to-text), in seconds.
	UsageAudioSeconds = attribute.Key("aiusage.usage.audio.seconds")
	// UsageAudioBilledSeconds is the duration billed: the measured one raised to the
	// provider's minimum per request (Groq Whisper: 10 s).
	UsageAudioBilledSeconds = attribute.Key("aiusage.usage.audio.billed_seconds")
	// UsageInputCharacters is the characters billed (text-to-speech, character-billed embeddings).
	UsageInputCharacters = attribute.Key("aiusage.usage.input_characters")
	// UsageWebSearchQueries is the search queries a grounded call ran.
	UsageWebSearchQueries = attribute.Key("aiusage.usage.web_search_queries")
)

// Service tier attributes: the tier the app asked for and the one the provider served
// (and bills), each a ServiceTier* value.
const (
	RequestServiceTier  = attribute.Key("aiusage.request.service_tier")
	ResponseServiceTier = attribute.Key("aiusage.response.service_tier")
)

// aiusage cost and usage-detail attributes.
const (
	CostUSD    = attribute.Key("aiusage.cost.usd")
	CostStatus = attribute.Key("aiusage.cost.status")
	// CostMissingUnit names, comma-separated, the billed units of a partially priced
	// call that the price table has no rate for.
	CostMissingUnit = attribute.Key("aiusage.cost.missing_unit")
	// CostServiceTier is the tier whose rates priced the call: the served tier, or
	// standard when the table has no rates for the served one.
	CostServiceTier = attribute.Key("aiusage.cost.service_tier")
	// GenAIUsageCost is the cost in USD under the name other GenAI tools read. It is
	// not (yet) in the semantic conventions: pending standardisation, it may change.
	// It is set only on fully priced calls, as tools reading it see no status.
	GenAIUsageCost = attribute.Key("gen_ai.usage.cost")
	// UsageBreakdown is a JSON array of per-sub-model usage for Groq compound models:
	// [{"model":"...","input_tokens":N,"output_tokens":N}, ...].
	UsageBreakdown = attribute.Key("aiusage.usage.breakdown")
	// ErrorCode is the provider's error code, e.g. rate_limit_exceeded or tool_use_failed.
	ErrorCode = attribute.Key("aiusage.error.code")
)

// Provider is a value of gen_ai.provider.name: the AI provider a call went to.
type Provider string

// Values of gen_ai.provider.name. They are untyped so that they serve as
// attribute values and column values as well as Providers.
const (
	ProviderGroq     = "groq"
	ProviderGemini   = "gcp.gemini"
	ProviderVertexAI = "gcp.vertex_ai"
)

// Values of gen_ai.operation.name.
const (
	OperationChat            = "chat"
	OperationGenerateContent = "generate_content"
)

// Values of gen_ai.operation.name of the rest of the billable surface: embeddings (a
// GenAI convention value) and aiusage's own where the conventions have none. A
// count_tokens call and a batch job call (create, poll, cancel, download its results)
// are not billed themselves: they are recorded as priced at 0, and each result a batch
// answers is recorded as its own call, billed at the batch rate.
const (
	OperationEmbeddings  = "embeddings"
	OperationCountTokens = "count_tokens"
	OperationBatch       = "batch"
	OperationCreateCache = "create_cache"
)

// Unbilled reports whether calls of operation are not billed themselves: counting
// tokens, and a batch job's own calls. The reports' ai_free_operation macro says the
// same (a test holds them together).
func Unbilled(operation string) bool {
	return operation == OperationCountTokens || operation == OperationBatch
}

// Batch job attributes, on the spans of batch job calls: the job polled and its
// request counts (Gemini batchStats, Groq request_counts) when the provider says them.
const (
	BatchID             = attribute.Key("aiusage.batch.id")
	BatchState          = attribute.Key("aiusage.batch.state")
	BatchRequests       = attribute.Key("aiusage.batch.requests")
	BatchSucceeded      = attribute.Key("aiusage.batch.requests.succeeded")
	BatchFailed         = attribute.Key("aiusage.batch.requests.failed")
	BatchResultsDropped = attribute.Key("aiusage.batch.results.dropped")
)

// Values of gen_ai.operation.name for voice: ours where the GenAI conventions have none.
const (
	// OperationTranscription is speech-to-text (Groq /audio/transcriptions).
	OperationTranscription = "transcription"
	// OperationTranslation is speech-to-English-text (Groq /audio/translations).
	OperationTranslation = "translation"
	// OperationTextToSpeech is text-to-speech (Groq /audio/speech).
	OperationTextToSpeech = "text_to_speech"
	// OperationLive is a Gemini Live session (BidiGenerateContent over WebSocket): one
	// span from connect to close, an event per turn.
	OperationLive = "live"
)

// EventLiveTurn is the span event of one turn of a Live session; its attributes are
// the turn's usage, under the usage attribute names.
const EventLiveTurn = "aiusage.live.turn"

// Values of gen_ai.token.type.
const (
	TokenTypeInput  = "input"
	TokenTypeOutput = "output"
)

// Values of aiusage.cost.status.
const (
	CostPriced          = "priced"
	CostPartiallyPriced = "partially_priced"
	CostUnpriced        = "unpriced"
)

// Values of aiusage.request.service_tier, aiusage.response.service_tier and
// aiusage.cost.service_tier. Vertex AI's trafficType maps onto them (ON_DEMAND is
// standard, ON_DEMAND_FLEX flex, ON_DEMAND_PRIORITY priority, PROVISIONED_THROUGHPUT
// provisioned).
const (
	ServiceTierStandard    = "standard"
	ServiceTierFlex        = "flex"
	ServiceTierPriority    = "priority"
	ServiceTierBatch       = "batch"
	ServiceTierProvisioned = "provisioned"
)

// ServiceTiers are the service tier values, standard first.
var ServiceTiers = []string{ServiceTierStandard, ServiceTierFlex, ServiceTierPriority, ServiceTierBatch, ServiceTierProvisioned}

// Values of aiusage.ratelimit.resource, .window and .source.
const (
	ResourceRequests = "requests"
	ResourceTokens   = "tokens"
	// ResourceAudioSeconds is seconds of audio sent to speech-to-text (Groq's
	// x-ratelimit-*-audio-seconds headers, per hour).
	ResourceAudioSeconds = "audio_seconds"
	WindowMinute         = "1m"
	WindowHour           = "1h"
	WindowDay            = "1d"
	SourceHeader         = "header"
	SourceEstimate       = "estimate"
)

// Values of a quota window's forecast: whether it runs out at the current consumption
// rate before it resets. quota.State, the quota JSON and the quota report's forecast
// column use them.
const (
	// ForecastExhausted: the window is used up now (remaining 0, or a 429 said so).
	ForecastExhausted = "exhausted"
	// ForecastBeforeReset: at the current rate it runs out before it resets (or, for a
	// window that refills continuously, at all); the time is given.
	ForecastBeforeReset = "before_reset"
	// ForecastNotBeforeReset: at the current rate it does not run out before it resets.
	ForecastNotBeforeReset = "not_before_reset"
	// ForecastUnknown: too little history to estimate the rate yet.
	ForecastUnknown = "unknown"
)

// ErrorTypeQuotaGuard is error.type of a call the quota guard refused before sending
// it (instrumentation.WithQuotaGuard): the provider had said it could not succeed.
const ErrorTypeQuotaGuard = "quota_guard"

// MetricAudioSeconds counts seconds of audio sent to speech-to-text (s), as measured
// or as the provider reported them: what the audio-seconds quotas count.
// Prometheus: aiusage_usage_audio_seconds_total.
const MetricAudioSeconds = "aiusage.usage.audio.seconds"

// Metric names and units.
const (
	MetricTokenUsage           = "gen_ai.client.token.usage"
	MetricOperationDuration    = "gen_ai.client.operation.duration"
	MetricTimeToFirstChunk     = "gen_ai.client.operation.time_to_first_chunk"
	MetricRateLimitLimit       = "aiusage.ratelimit.limit"
	MetricRateLimitRemaining   = "aiusage.ratelimit.remaining"
	MetricRateLimitUtilization = "aiusage.ratelimit.utilization"
	MetricRateLimitExceeded    = "aiusage.ratelimit.exceeded"
	// MetricRateLimitTimeToExhaustion is the predicted time until a quota window runs
	// out at the current consumption rate (s): 0 when it is used up, +Inf when it does
	// not run out before it resets. Prometheus: aiusage_ratelimit_time_to_exhaustion_seconds.
	MetricRateLimitTimeToExhaustion = "aiusage.ratelimit.time_to_exhaustion"
	// MetricRateLimitTimeToReset is the time until a quota window is full again (s).
	// Prometheus: aiusage_ratelimit_time_to_reset_seconds.
	MetricRateLimitTimeToReset = "aiusage.ratelimit.time_to_reset"
	MetricCost                 = "aiusage.cost"
	MetricCostUnpriced         = "aiusage.cost.unpriced"

	UnitToken   = "{token}"
	UnitSeconds = "s"
	UnitRatio   = "1"
	UnitUSD     = "USD"
	UnitRequest = "{request}"
)

// Histogram bucket boundaries the GenAI conventions advise.
var (
	TokenUsageBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	DurationBuckets   = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)
