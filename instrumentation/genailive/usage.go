package genailive

import (
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
)

// Usage converts a Live turn's usage metadata to the billed units: input is the prompt
// plus tool-use prompt, output the response plus thoughts, as for generateContent. The
// SDK gives Vertex AI's candidatesTokenCount as ResponseTokenCount. Totals are taken as
// reported even where the per-modality details do not add up to them.
func Usage(m *genai.UsageMetadata) instrumentation.Usage {
	u := instrumentation.Usage{
		InputTokens:           int64(m.PromptTokenCount) + int64(m.ToolUsePromptTokenCount),
		OutputTokens:          int64(m.ResponseTokenCount) + int64(m.ThoughtsTokenCount),
		CacheReadInputTokens:  int64(m.CachedContentTokenCount),
		ReasoningOutputTokens: int64(m.ThoughtsTokenCount),
	}
	return u
}
