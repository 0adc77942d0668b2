// Package emulator serves Groq- and Gemini-compatible HTTP APIs on loopback, answering the
// way the real providers do (body shapes, SSE framing, usage fields, rate-limit headers and
// 429 bodies), so tests and the demo can drive the real SDKs without a network or a key.
//
// Each provider gets its own listener, because the instrumentation maps a host:port to one
// provider. Both are served by one [Emulator], which holds the quota and prompt-cache state.
//
// # Deterministic usage
//
// Token counts follow fixed rules, so a test can predict every number:
//
//   - Text costs one token per 4 characters (runes), rounded up, counted per message
//     (Groq, OpenAI-compatible) or per part (Gemini native); see [CountTokens].
//   - The visible reply has [ReplyTokens](prompt) tokens: 8 + prompt/2.
//   - Reasoning models (Groq openai/gpt-oss-*, Gemini 2.5 and 3) think as many tokens as the
//     visible reply (Groq: reported inside completion_tokens as reasoning_tokens) or twice as
//     many (Gemini: thoughtsTokenCount). A Gemini thinkingBudget of 0 turns thinking off and a
//     positive one caps it.
//   - max_tokens / max_completion_tokens / maxOutputTokens cap thinking first, then the reply;
//     a capped answer finishes with "length" (Groq) or "MAX_TOKENS" (Gemini).
//   - Prompt caching: a request whose leading messages repeat an earlier request's leading
//     messages for the same model reads those tokens from the cache, rounded down to whole
//     blocks of [CacheBlockTokens]; see prompt_tokens_details.cached_tokens and
//     cachedContentTokenCount.
//   - Each Gemini built-in tool (googleSearch, codeExecution, urlContext) adds
//     [ToolUsePromptTokens] to toolUsePromptTokenCount.
//   - Groq compound-beta answers as groq/compound, and its usage is the sum of two sub-models
//     listed in usage_breakdown.models: the planner (prompt, 16 completion tokens) and the
//     answering model (prompt + 256 tool-result tokens, the reply).
//
// # Quota
//
// Groq limits are refilling buckets per model (requests per day, tokens per minute), reported
// on every response in x-ratelimit-* headers; a request that does not fit gets 429 with
// retry-after, a request larger than the whole minute's tokens gets 413. Requested tokens
// are prompt plus completion tokens. Gemini limits (requests per minute and per day, input
// tokens per minute) send no headers; past a limit the answer is 429 RESOURCE_EXHAUSTED with
// QuotaFailure and RetryInfo details. Gemini days end at midnight Pacific time.
//
// # Failures on demand
//
// A prompt can ask for the failures real traffic shows: [ToolUseFailedTrigger] (Groq
// tool_use_failed, in-band inside a stream) and [CapacityExhaustedTrigger] (Gemini 429
// without quota details).
package emulator
