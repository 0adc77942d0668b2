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
)

// AddModality adds n tokens of modality, as Gemini and Vertex AI name it ("AUDIO",
// "IMAGE", "VIDEO", "DOCUMENT"), to u's per-modality part p. Text, unspecified and
// unknown modalities are the rest of the total and are not recorded apart; nor is a
// negative count.
func (u *Usage) AddModality(p Part, modality string, n int64) {
	if n <= 0 {
		return
	}
	var f *int64
	switch p {
	case InputPart:
		switch modality {
		case "AUDIO":
			f = &u.AudioInputTokens
		case "IMAGE":
			f = &u.ImageInputTokens
		case "VIDEO":
			f = &u.VideoInputTokens
		case "DOCUMENT":
			f = &u.DocumentInputTokens
		}
	case CacheReadPart:
		switch modality {
		case "AUDIO":
			f = &u.AudioCacheReadInputTokens
		case "IMAGE":
			f = &u.ImageCacheReadInputTokens
		case "VIDEO":
			f = &u.VideoCacheReadInputTokens
		case "DOCUMENT":
			f = &u.DocumentCacheReadInputTokens
		}
	case OutputPart:
		switch modality {
		case "AUDIO":
			f = &u.AudioOutputTokens
		case "IMAGE":
			f = &u.ImageOutputTokens
		case "VIDEO":
			f = &u.VideoOutputTokens
		}
	}
	if f != nil {
		*f += n
	}
}
