package response

import (
	"bytes"
	"strings"
)

// Keys looked for before deciding to decode an event. Inside JSON strings quotes are
// escaped, so a match is a key (or a string value ending the same way, which only costs
// a decode).
var (
	keyError          = []byte(`"error"`)
	keyModel          = []byte(`"model"`)
	keyID             = []byte(`"id"`)
	keyFinishReason   = []byte(`"finish_reason"`)
	keyUsage          = []byte(`"usage"`)
	keyUsageBreakdown = []byte(`"usage_breakdown"`)
	keyModelVersion   = []byte(`"modelVersion"`)
	keyResponseID     = []byte(`"responseId"`)
	keyGeminiFinish   = []byte(`"finishReason"`)
	keyUsageMetadata  = []byte(`"usageMetadata"`)
	// Every Gemini count key (promptTokenCount, thoughtsTokenCount, ...) ends so; the
	// per-modality detail key is tokenCount, lower case.
	suffixTokenCount = []byte(`TokenCount"`)
)

// valued reports whether d has the quoted key followed by a colon and a value other
// than null.
func valued(d, key []byte) bool {
	for {
		i := bytes.Index(d, key)
		if i < 0 {
			return false
		}
		d = d[i+len(key):]
		j := skipSpace(d, 0)
		if j < len(d) && d[j] == ':' {
			j = skipSpace(d, j+1)
			if j < len(d) && d[j] != 'n' {
				return true
			}
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isEventStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}
