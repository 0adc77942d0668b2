package genailive

import (
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// Usage converts a Live turn's usage metadata to the billed units: input is the prompt
// plus tool-use prompt, output the response plus thoughts, as for generateContent, and
// each total's audio, image, video and document parts from its per-modality details.
// The SDK gives Vertex AI's candidatesTokenCount as ResponseTokenCount. Totals and
// details are taken as reported, even where the details do not add up to the totals.
func Usage(m *genai.UsageMetadata) instrumentation.Usage {
	u := instrumentation.Usage{
		InputTokens:           int64(m.PromptTokenCount) + int64(m.ToolUsePromptTokenCount),
		OutputTokens:          int64(m.ResponseTokenCount) + int64(m.ThoughtsTokenCount),
		CacheReadInputTokens:  int64(m.CachedContentTokenCount),
		ReasoningOutputTokens: int64(m.ThoughtsTokenCount),
	}
	addDetails(&u, usage.InputPart, m.PromptTokensDetails)
	addDetails(&u, usage.InputPart, m.ToolUsePromptTokensDetails)
	addDetails(&u, usage.CacheReadPart, m.CacheTokensDetails)
	addDetails(&u, usage.OutputPart, m.ResponseTokensDetails)
	return u
}

// addDetails adds a per-modality list to u's part p.
func addDetails(u *instrumentation.Usage, p usage.Part, details []*genai.ModalityTokenCount) {
	for _, d := range details {
		if d != nil {
			u.AddModality(p, string(d.Modality), int64(d.TokenCount))
		}
	}
}
