package emulator

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Gemini media: tokens per modality for inline audio, images, video and documents in a
// prompt, and speech out of the text-to-speech models.
//
// Gemini counts 32 tokens per second of audio (a 3.7 s clip: 119), 258 per image and per
// document page; the emulator hears PCM WAV exactly and estimates other audio at 16 KB a
// second, and counts a video as VideoTokens and a document as one page. Text-to-speech
// models (names ending in -tts) speak the prompt's text at SpeechRate characters a
// second and count AudioTokensPerSecond output tokens per second of speech.

// Token rates of media, as the Gemini API counts them.
const (
	AudioInputTokensPerSecond = 32
	ImageTokens               = 258
	DocumentPageTokens        = 258
	VideoTokens               = 263 * 4 // a short clip: four seconds at 263 tokens a second
	// AudioTokensPerSecond is what a second of generated speech costs (25, as seen).
	AudioTokensPerSecond = 25
	// speechMime is the format of Gemini's generated speech.
	speechMime = "audio/L16;codec=pcm;rate=24000"
)

// Modalities as usageMetadata names them.
const (
	modalityText     = "TEXT"
	modalityAudio    = "AUDIO"
	modalityImage    = "IMAGE"
	modalityVideo    = "VIDEO"
	modalityDocument = "DOCUMENT"
)

// geminiBlob is an inline media part.
type geminiBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

// mediaTokens returns the prompt tokens and modality of an inline media part.
func mediaTokens(b *geminiBlob) (int, string) {
	data, err := base64.StdEncoding.DecodeString(b.Data)
	if err != nil {
		data = nil
	}
	mt := strings.ToLower(b.MimeType)
	switch {
	case strings.HasPrefix(mt, "audio/"):
		seconds := float64(len(data)) / 16000
		if info, err := readWAV(bytes.NewReader(data)); err == nil {
			seconds = info.seconds
		}
		return int(math.Ceil(seconds * AudioInputTokensPerSecond)), modalityAudio
	case strings.HasPrefix(mt, "image/"):
		return ImageTokens, modalityImage
	case strings.HasPrefix(mt, "video/"):
		return VideoTokens, modalityVideo
	}
	return DocumentPageTokens, modalityDocument
}

// promptDetails lists a prompt of total tokens by modality: text first, then media in
// a fixed order.
func (c *geminiCall) promptDetails(total int) []modalityCount {
	media := 0
	for _, n := range c.media {
		media += n
	}
	out := textCount(max(total-media, 0))
	for _, m := range []string{modalityAudio, modalityImage, modalityVideo, modalityDocument} {
		if n := c.media[m]; n > 0 {
			out = append(out, modalityCount{m, n})
		}
	}
	return out
}

// cacheDetails lists cached tokens by modality. The cache holds the prompt's leading
// text; a cached prompt with media lists those too, with no tokens, as Gemini writes a
// zero count: the entry without tokenCount.
func (c *geminiCall) cacheDetails(cached int) []modalityCount {
	out := textCount(cached)
	if cached == 0 {
		return out
	}
	for _, m := range []string{modalityAudio, modalityImage, modalityVideo, modalityDocument} {
		if c.media[m] > 0 {
			out = append(out, modalityCount{Modality: m})
		}
	}
	return out
}

// isSpeechModel reports whether model is a text-to-speech model.
func isSpeechModel(model string) bool {
	return strings.HasSuffix(model, "-tts") || strings.Contains(model, "-tts-")
}

// speaks reports whether gc asks for an audio answer.
func speaks(gc *generationConfig) bool {
	return gc != nil && (slices.Contains(gc.ResponseModalities, "AUDIO") || slices.Contains(gc.ResponseModalitiesSnake, "AUDIO"))
}

// writeSpeech answers a text-to-speech call: the prompt's text spoken as 24 kHz PCM.
func (e *Emulator) writeSpeech(w http.ResponseWriter, r *http.Request, call *geminiCall, a geminiAdmission) {
	seconds := float64(utf8.RuneCountInString(call.text)) / SpeechRate
	pcm := appendTone(nil, int(math.Round(seconds*speechSampleRate)), speechSampleRate)
	audioTokens := int(math.Round(seconds * AudioTokensPerSecond))
	u := &usageMetadata{
		PromptTokenCount:        a.plan.prompt,
		CandidatesTokenCount:    audioTokens,
		TotalTokenCount:         a.plan.prompt + audioTokens,
		CachedContentTokenCount: a.plan.cached,
		PromptTokensDetails:     call.promptDetails(a.plan.prompt),
		CacheTokensDetails:      call.cacheDetails(a.plan.cached),
		CandidatesTokensDetails: []modalityCount{{modalityAudio, audioTokens}},
	}
	content := geminiContent{Role: "model", Parts: []geminiPart{{InlineData: &geminiBlob{MimeType: speechMime, Data: base64.StdEncoding.EncodeToString(pcm)}}}}
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(geminiResponse{
		Candidates:    []geminiCandidate{{Content: content, FinishReason: "STOP", Index: ptr(0)}},
		UsageMetadata: u,
		ModelVersion:  call.model,
		ResponseID:    a.id,
	}))
}
