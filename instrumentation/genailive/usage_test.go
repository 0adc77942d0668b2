package genailive

import (
	"testing"

	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		in   genai.UsageMetadata
		want instrumentation.Usage
	}{{
		name: "audio in and out, Gemini API names",
		in: genai.UsageMetadata{
			PromptTokenCount: 161, ResponseTokenCount: 90, TotalTokenCount: 251,
			PromptTokensDetails:   []*genai.ModalityTokenCount{{Modality: genai.MediaModalityText, TokenCount: 42}, {Modality: genai.MediaModalityAudio, TokenCount: 119}},
			ResponseTokensDetails: []*genai.ModalityTokenCount{{Modality: genai.MediaModalityAudio, TokenCount: 90}},
		},
		want: instrumentation.Usage{InputTokens: 161, OutputTokens: 90, AudioInputTokens: 119, AudioOutputTokens: 90},
	}, {
		name: "tool use, cache, thoughts; details short of the totals are kept as given",
		in: genai.UsageMetadata{
			PromptTokenCount: 300, ToolUsePromptTokenCount: 20, CachedContentTokenCount: 100, ResponseTokenCount: 50, ThoughtsTokenCount: 30,
			PromptTokensDetails:        []*genai.ModalityTokenCount{{Modality: genai.MediaModalityImage, TokenCount: 258}, nil},
			ToolUsePromptTokensDetails: []*genai.ModalityTokenCount{{Modality: genai.MediaModalityAudio, TokenCount: 5}},
			CacheTokensDetails:         []*genai.ModalityTokenCount{{Modality: genai.MediaModalityImage, TokenCount: 100}},
			ResponseTokensDetails:      []*genai.ModalityTokenCount{{Modality: genai.MediaModalityAudio}},
		},
		want: instrumentation.Usage{
			InputTokens: 320, OutputTokens: 80, CacheReadInputTokens: 100, ReasoningOutputTokens: 30,
			ImageInputTokens: 258, AudioInputTokens: 5, ImageCacheReadInputTokens: 100,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Usage(&tt.in); got != tt.want {
				t.Errorf("Usage = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
