package response

import (
	"time"

	"github.com/aiusage/aiusage/instrumentation/usage"
)

// Result is what a response body said about the call.
type Result struct {
	Model         string             // response model: OpenAI "model" (Groq compound: "groq/compound"); Gemini "modelVersion"
	ID            string             // OpenAI "id"; Gemini "responseId"
	FinishReasons []string           // distinct, in the order first seen
	Usage         usage.Usage        // billed token counts; meaningful when HasUsage
	Reported      Reported           // the counts Usage was derived from
	HasUsage      bool               // the body carried token counts
	Breakdown     []usage.ModelUsage // Groq compound: usage of each sub-model actually used
	Stream        bool               // the body was SSE or a Gemini JSON-array stream
	Chunks        int                // SSE data events (without [DONE]) or JSON-array elements
	Error         *APIError          // error reported in the body, in-band errors of a 200 stream included
	ParseError    string             // "" or one of the Parse* reasons
	// ServiceTier is the tier the body says served the call, a semconv.ServiceTier*
	// value: Gemini's usageMetadata.serviceTier, Vertex AI's trafficType, Groq's service_tier.
	ServiceTier string
	// Batch is what a batch job call or a batch results file said (BatchJob,
	// BatchFile); nil for other bodies.
	Batch *Batch
}

// Reasons in Result.ParseError. The set is small and fixed so it can be a metric attribute.
const (
	ParseTruncated   = "truncated"    // the body ended before the JSON or the stream did
	ParseInvalidJSON = "invalid_json" // the body or an event was not the JSON expected
	ParseTooLarge    = "too_large"    // the body, an SSE line or an array element exceeded the buffer cap
	ParseEmpty       = "empty"        // the body was empty
)

// Reported is a usage report's counts under the provider's own names, from which the
// billed usage.Usage is derived. OpenAI: Total only. Gemini: usageMetadata as reported.
// Groq speech-to-text: Duration.
type Reported struct {
	Prompt        int64 // Gemini promptTokenCount, cached included
	Candidates    int64 // Gemini candidatesTokenCount, thoughts excluded
	Thoughts      int64 // Gemini thoughtsTokenCount
	ToolUsePrompt int64 // Gemini toolUsePromptTokenCount
	Total         int64 // OpenAI total_tokens, Gemini totalTokenCount
	// Duration is the audio's length in seconds a transcription reported (Groq
	// verbose_json "duration").
	Duration float64
}

// APIError is an error the provider reported in the response body.
type APIError struct {
	Status     int              // in-band status_code, else Gemini's numeric code, else the HTTP status
	Type       string           // Groq/OpenAI "type" ("tokens", "invalid_request_error"), else Gemini "status" ("RESOURCE_EXHAUSTED")
	Code       string           // "rate_limit_exceeded", "tool_use_failed"; Gemini's numeric code as text
	Message    string           // provider's message; may contain prompt fragments, record only with content opt-in
	Resource   string           // 429s: semconv.ResourceRequests, ResourceTokens or ResourceAudioSeconds, when known
	Window     string           // 429s: semconv.WindowDay, WindowHour or WindowMinute, when known
	Quota      []QuotaViolation // Gemini google.rpc.QuotaFailure violations
	RetryDelay time.Duration    // 429s: Gemini google.rpc.RetryInfo retryDelay; Groq "try again in 1m26.4s" in the message
}

// QuotaViolation is one Gemini google.rpc.QuotaFailure violation.
type QuotaViolation struct {
	Metric   string // quotaMetric, e.g. generativelanguage.googleapis.com/generate_content_free_tier_requests
	ID       string // quotaId, e.g. GenerateRequestsPerDayPerProjectPerModel-FreeTier
	Value    string // quotaValue, the limit; "0" means no access to the model
	Model    string // quotaDimensions.model
	Location string // quotaDimensions.location
}

// report is one usage report decoded: the billed usage and the counts it came from.
type report struct {
	billed   usage.Usage
	reported Reported
}

// apply makes r the Result's usage.
func (r *report) apply(res *Result) {
	res.Usage, res.Reported, res.HasUsage = r.billed, r.reported, true
}
