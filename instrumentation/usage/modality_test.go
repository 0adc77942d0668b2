package usage

import "testing"

func TestAddModality(t *testing.T) {
	tests := []struct {
		part     Part
		modality string
		n        int64
		want     Usage
	}{
		{InputPart, "AUDIO", 119, Usage{AudioInputTokens: 119}},
		{InputPart, "IMAGE", 258, Usage{ImageInputTokens: 258}},
		{InputPart, "VIDEO", 7, Usage{VideoInputTokens: 7}},
		{InputPart, "DOCUMENT", 3, Usage{DocumentInputTokens: 3}},
		{InputPart, "TEXT", 12, Usage{}},
		{InputPart, "MODALITY_UNSPECIFIED", 12, Usage{}},
		{InputPart, "audio", 12, Usage{}},
		{InputPart, "AUDIO", -5, Usage{}},
		{CacheReadPart, "AUDIO", 4, Usage{AudioCacheReadInputTokens: 4}},
		{CacheReadPart, "IMAGE", 4, Usage{ImageCacheReadInputTokens: 4}},
		{CacheReadPart, "VIDEO", 4, Usage{VideoCacheReadInputTokens: 4}},
		{CacheReadPart, "DOCUMENT", 4, Usage{DocumentCacheReadInputTokens: 4}},
		{OutputPart, "AUDIO", 1075, Usage{AudioOutputTokens: 1075}},
		{OutputPart, "IMAGE", 1290, Usage{ImageOutputTokens: 1290}},
		{OutputPart, "VIDEO", 9, Usage{VideoOutputTokens: 9}},
		{OutputPart, "DOCUMENT", 9, Usage{}},
		{Part(9), "AUDIO", 9, Usage{}},
	}
	for _, tt := range tests {
		var u Usage
		u.AddModality(tt.part, tt.modality, tt.n)
		u.AddModality(tt.part, tt.modality, tt.n) // adds up
		want := tt.want
		want.Add(&tt.want)
		if u != want {
			t.Errorf("AddModality(%d, %q, %d) twice = %+v, want %+v", tt.part, tt.modality, tt.n, u, want)
		}
	}
}
