package instrumentation

import (
	"strings"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// Groq's speech endpoints. Gemini's text-to-speech models answer through
// generateContent, an operation the Gemini routes already know.
const (
	groqTranscriptionsPath = "/openai/v1/audio/transcriptions"
	groqTranslationsPath   = "/openai/v1/audio/translations"
	groqSpeechPath         = "/openai/v1/audio/speech"
)

// matchGroqVoice routes Groq's speech-to-text and translation (multipart uploads whose
// model is a form field) and text-to-speech (JSON, model in the body).
func matchGroqVoice(path string) (route, bool) {
	switch {
	case strings.HasSuffix(path, groqTranscriptionsPath):
		return route{provider: Groq, operation: semconv.OperationTranscription, dialect: response.Transcription}, true
	case strings.HasSuffix(path, groqTranslationsPath):
		return route{provider: Groq, operation: semconv.OperationTranslation, dialect: response.Transcription}, true
	case strings.HasSuffix(path, groqSpeechPath):
		return route{provider: Groq, operation: semconv.OperationTextToSpeech, dialect: response.Speech, fromBody: true}, true
	}
	return route{}, false
}
