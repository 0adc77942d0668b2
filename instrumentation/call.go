package instrumentation

import (
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// Call is one provider call as Record takes it from clients that bypass HTTP.
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
	// RequestServiceTier is the service tier the app asked for and ResponseServiceTier
	// the one the provider served (semconv.ServiceTier*); the call is priced at the
	// served tier, else the requested one, else standard.
	RequestServiceTier, ResponseServiceTier string
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
	// Exceeded describes the quota a 429 ran into, when known.
	Exceeded *Exceeded
}

// Usage is a call's consumption with the provider's billed semantics.
type Usage = usage.Usage

// ModelUsage is the usage of one sub-model of a compound model.
type ModelUsage = usage.ModelUsage

// Exceeded is the quota a rate-limited (429) call ran into.
type Exceeded struct {
	Resource string // semconv.ResourceRequests, ResourceTokens or ResourceAudioSeconds, when known
	Window   string // semconv.WindowMinute, WindowHour or WindowDay, when known
	// Gemini QuotaFailure: quota id ("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
	// metric and value ("0" means no access to the model).
	QuotaID, QuotaMetric, QuotaValue string
	RetryDelay                       time.Duration // Gemini RetryInfo
}

// record is a call as the instrumentation records it: the Call a Record user can
// give, and what only the transport observes.
type record struct {
	Call
	// errorMessage is the provider's error text, recorded only WithContent.
	errorMessage string
	// inputMessages and systemInstructions are the prompt as the JSON of
	// gen_ai.input.messages and gen_ai.system_instructions, recorded only WithContent.
	inputMessages, systemInstructions string
	// rateLimit holds the provider's rate-limit headers (Groq x-ratelimit-*, retry-after).
	rateLimit ratelimit.Headers
	// spanOptions, when set, is where the span's start and end options are put.
	spanOptions *spanOptions
	// free: the call itself is not billed (count_tokens, batch job calls).
	free bool
	// noQuota: the call does not count toward estimated quotas (batch results).
	noQuota bool
	// batch is what a batch job call said about its job, for the span.
	batch *response.Batch
}

// operation returns c's gen_ai.operation.name.
func (c *Call) operation() string {
	if c.Operation != "" {
		return c.Operation
	}
	if c.Provider == Gemini || c.Provider == VertexAI {
		return semconv.OperationGenerateContent
	}
	return semconv.OperationChat
}
