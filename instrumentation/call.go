package instrumentation

import (
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Call is one provider call as Record takes it from clients that bypass HTTP;
// the transport fills the same struct for each HTTP attempt it records.
type Call struct {
	Provider Provider
	// Operation is semconv.OperationChat or semconv.OperationGenerateContent;
	// empty means the provider's native one (chat for Groq, generate_content for Gemini).
	Operation     string
	RequestModel  string
	ResponseModel string
	ResponseID    string
	FinishReasons []string
	Stream        bool
	ServerAddress string
	ServerPort    int
	StatusCode    int    // HTTP status code; 0 when there was no response
	Usage         *Usage // nil when the response carried no token counts
	// Breakdown is the per-sub-model usage of a Groq compound model.
	Breakdown []ModelUsage
	// Start and End bound the call; a zero End is the time Record is called,
	// a zero Start is End.
	Start, End time.Time
	// TimeToFirstChunk is when the first response bytes arrived, after Start (streams).
	TimeToFirstChunk time.Duration
	// ErrorType is a low-cardinality failure reason ("429", "timeout",
	// "stream_error", "truncated"); empty when the call succeeded.
	ErrorType string
	// ErrorCode is the provider's error code ("rate_limit_exceeded", "RESOURCE_EXHAUSTED").
	ErrorCode string
	// ErrorMessage is the provider's error text, recorded only WithContent.
	ErrorMessage string
	// InputMessages and SystemInstructions are the prompt as the JSON of
	// gen_ai.input.messages and gen_ai.system_instructions, recorded only WithContent.
	InputMessages, SystemInstructions string
	// RateLimit holds the provider's rate-limit headers (Groq x-ratelimit-*, retry-after).
	RateLimit quota.Headers
	// Exceeded describes the quota a 429 ran into, when known.
	Exceeded *Exceeded
}

// Usage is a call's token counts, with the provider's billed semantics.
type Usage struct {
	InputTokens           int64 // includes cached input; Gemini: prompt + tool-use prompt
	OutputTokens          int64 // includes reasoning; Gemini: candidates + thoughts
	CacheReadInputTokens  int64
	ReasoningOutputTokens int64
}

// ModelUsage is the usage of one sub-model of a compound model.
type ModelUsage struct {
	Model string
	Usage Usage
}

// Exceeded is the quota a rate-limited (429) call ran into.
type Exceeded struct {
	Resource string // semconv.ResourceRequests or ResourceTokens, when known
	Window   string // semconv.WindowMinute or WindowDay, when known
	// Gemini QuotaFailure: quota id ("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
	// metric and value ("0" means no access to the model).
	QuotaID, QuotaMetric, QuotaValue string
	RetryDelay                       time.Duration // Gemini RetryInfo
}

// operation returns c's gen_ai.operation.name.
func (c *Call) operation() string {
	if c.Operation != "" {
		return c.Operation
	}
	if c.Provider == Gemini {
		return semconv.OperationGenerateContent
	}
	return semconv.OperationChat
}
