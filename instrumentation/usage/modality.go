package usage

// Part is the total a per-modality token count is a part of.
type Part uint8

const (
	// InputPart is a part of InputTokens (Gemini promptTokensDetails,
	// toolUsePromptTokensDetails).
	InputPart Part = iota
	// CacheReadPart is a part of CacheReadInputTokens (Gemini cacheTokensDetails).
	CacheReadPart
	// OutputPart is a part of OutputTokens (Gemini candidatesTokensDetails; Live
	// responseTokensDetails).
	OutputPart

	numParts
)

// modalityFields are the fields of each part's modalities, by Gemini's modality name.
var modalityFields = [numParts]map[string]func(*Usage) *int64{
	InputPart: {
		"AUDIO":    func(u *Usage) *int64 { return &u.AudioInputTokens },
		"IMAGE":    func(u *Usage) *int64 { return &u.ImageInputTokens },
		"VIDEO":    func(u *Usage) *int64 { return &u.VideoInputTokens },
		"DOCUMENT": func(u *Usage) *int64 { return &u.DocumentInputTokens },
	},
	CacheReadPart: {
		"AUDIO":    func(u *Usage) *int64 { return &u.AudioCacheReadInputTokens },
		"IMAGE":    func(u *Usage) *int64 { return &u.ImageCacheReadInputTokens },
		"VIDEO":    func(u *Usage) *int64 { return &u.VideoCacheReadInputTokens },
		"DOCUMENT": func(u *Usage) *int64 { return &u.DocumentCacheReadInputTokens },
	},
	OutputPart: {
		"AUDIO": func(u *Usage) *int64 { return &u.AudioOutputTokens },
		"IMAGE": func(u *Usage) *int64 { return &u.ImageOutputTokens },
		"VIDEO": func(u *Usage) *int64 { return &u.VideoOutputTokens },
	},
}

// AddModality adds n tokens of modality, as Gemini and Vertex AI name it ("AUDIO",
// "IMAGE", "VIDEO", "DOCUMENT"), to u's per-modality part p. Text, unspecified and
// unknown modalities are the rest of the total and are not recorded apart; nor is a
// count that is not positive.
func (u *Usage) AddModality(p Part, modality string, n int64) {
	if n <= 0 || p >= numParts {
		return
	}
	if field := modalityFields[p][modality]; field != nil {
		*field(u) += n
	}
}
