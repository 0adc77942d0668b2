package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchDocs are a Groq stream chunk, the final chunk with usage, and a ~1 KB chat
// completion.
func benchDocs() map[string][]byte {
	content := strings.Repeat("Paris is the capital and largest city of France. ", 14)
	return map[string][]byte{
		"chunk":    []byte(`{"id":"chatcmpl-9e4d","object":"chat.completion.chunk","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"delta":{"content":"token 0 "},"finish_reason":null}]}`),
		"final":    []byte(`{"id":"chatcmpl-9e4d","object":"chat.completion.chunk","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":{"prompt_tokens":42,"completion_tokens":99,"total_tokens":141}}}`),
		"chat_1KB": fmt.Appendf(nil, `{"id":"chatcmpl-5b1c7e2a","object":"chat.completion","created":1764201600,"model":"llama-3.1-8b-instant","choices":[{"index":0,"message":{"role":"assistant","content":%q},"logprobs":null,"finish_reason":"stop"}],"usage":{"queue_time":0.021,"prompt_tokens":336,"prompt_time":0.012,"completion_tokens":120,"completion_time":0.201,"total_tokens":456,"total_time":0.213},"system_fingerprint":"fp_3b0ac2a4","x_groq":{"id":"req_01kb2x9"}}`, content),
	}
}

// BenchmarkFields walks the top-level fields of each document, and the fields of
// each nested object one level down (as the response parser reads choices and
// usage), next to encoding/json's Valid on the same bytes: a scan that looks at
// every byte once and decodes nothing, the floor for a byte-at-a-time walk.
func BenchmarkFields(b *testing.B) {
	for name, doc := range benchDocs() {
		b.Run(name+"/fields", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				_ = Fields(doc, func(_, v []byte) {
					switch v[0] {
					case '{':
						_ = Fields(v, func(_, _ []byte) {})
					case '[':
						_ = Elements(v, func(e []byte) { _ = Fields(e, func(_, _ []byte) {}) })
					}
				})
			}
		})
		b.Run(name+"/baseline_valid", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				_ = json.Valid(doc)
			}
		})
	}
}
