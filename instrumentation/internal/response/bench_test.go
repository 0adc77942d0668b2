package response

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"
)

// groqStream returns a Groq chat stream of n data events shaped like the recorded ones:
// a role chunk, content chunks, a final chunk with finish_reason and x_groq.usage, [DONE].
func groqStream(n int) []byte {
	const head = `data: {"id":"chatcmpl-532a6640-2e18-4a4c-8406-8437a857ce48","object":"chat.completion.chunk","created":1739948145,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_179b0f92c9","choices":[{"index":0,"delta":`
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"x_groq\":{\"id\":\"req_01jmefve36eajb6c1x6k8ppv5m\"}}\n\n", head)
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(&b, "%s{\"content\":\" word%d\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n", head, i)
	}
	fmt.Fprintf(&b, "%s{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"x_groq\":{\"id\":\"req_01jmefve36eajb6c1x6k8ppv5m\",\"usage\":{\"queue_time\":0.28245049,\"prompt_tokens\":18,\"prompt_time\":0.002698174,\"completion_tokens\":%d,\"completion_time\":0.060833333,\"total_tokens\":%d,\"total_time\":0.063531507}}}\n\n", head, n-2, n+16)
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// geminiStream returns a Gemini alt=sse stream of n chunks, each with cumulative usage.
func geminiStream(n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		finish := ""
		if i == n {
			finish = `,"finishReason": "STOP"`
		}
		fmt.Fprintf(&b, `data: {"candidates": [{"content": {"parts": [{"text": "Chunk %d of a longer answer that streams several words per event."}],"role": "model"}%s,"index": 0}],"usageMetadata": {"promptTokenCount": 13,"candidatesTokenCount": %d,"totalTokenCount": %d,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 13}],"thoughtsTokenCount": 120},"modelVersion": "gemini-2.5-flash","responseId": "w1peaMz6INOvnvgPgYfPiQY"}`+"\r\n\r\n", i, finish, 12*i, 13+120+12*i)
	}
	return b.Bytes()
}

// geminiArrayStream returns the chunks of geminiStream(n) as the JSON array Gemini streams
// without alt=sse.
func geminiArrayStream(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, line := range bytes.Split(bytes.TrimSpace(geminiStream(n)), []byte("\r\n\r\n")) {
		if i > 0 {
			b.WriteString(",\r\n")
		}
		b.Write(bytes.TrimPrefix(line, []byte("data: ")))
	}
	b.WriteByte(']')
	return b.Bytes()
}

// fullGroqResponse is a complete decode of a chat completion, the baseline a parser that
// unmarshals everything would pay.
type fullGroqResponse struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Index   int `json:"index"`
		Message struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			Reasoning string `json:"reasoning"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]any `json:"usage"`
	XGroq map[string]any `json:"x_groq"`
}

// writeInReads feeds body in 4 KiB pieces, as an app reading through bufio would.
func writeInReads(w io.Writer, body []byte) {
	for len(body) > 0 {
		n := min(4096, len(body))
		_, _ = w.Write(body[:n])
		body = body[n:]
	}
}

func benchBodies(b *testing.B) []struct {
	name    string
	dialect Dialect
	ct      string
	body    []byte
} {
	return []struct {
		name    string
		dialect Dialect
		ct      string
		body    []byte
	}{
		{"GroqJSON", OpenAIChat, ctJSON, readTestdata(b, "groq_chat_cached_reasoning.json")},
		{"GroqSSE100", OpenAIChat, ctSSE, groqStream(100)},
		{"GeminiSSE20", GeminiNative, ctSSE, geminiStream(20)},
		{"GeminiArray20", GeminiNative, ctJSON, geminiArrayStream(20)},
	}
}

// BenchmarkParser compares the parser with copying the same bytes to io.Discard (what the
// app pays without us) and with fully unmarshalling them.
func BenchmarkParser(b *testing.B) {
	for _, tc := range benchBodies(b) {
		b.Run(tc.name+"/parser", func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				p := NewParser(tc.dialect, 200, tc.ct)
				writeInReads(p, tc.body)
				if r := p.Result(true); !r.HasUsage {
					b.Fatal("no usage")
				}
			}
		})
		b.Run(tc.name+"/baseline_copy", func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = io.Copy(io.Discard, bytes.NewReader(tc.body))
			}
		})
		b.Run(tc.name+"/baseline_unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				unmarshalAll(b, tc.dialect, tc.body)
			}
		})
	}
}

// unmarshalAll decodes every JSON value in body fully: the whole body, each array element
// or each SSE event.
func unmarshalAll(b *testing.B, d Dialect, body []byte) {
	decode := func(data []byte) {
		var err error
		if d == GeminiNative {
			var v map[string]any
			err = json.Unmarshal(data, &v)
		} else {
			var v fullGroqResponse
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	switch body[0] {
	case '{':
		decode(body)
		return
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			b.Fatal(err)
		}
		for _, e := range elems {
			decode(e)
		}
		return
	}
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok && !bytes.Equal(data, dataDone) {
			decode(data)
		}
	}
}

// BenchmarkParserInterleaved runs the parser, the parser walking every event's fields
// (no skipping of quiet events: the design before it) and both baselines on the same body
// in every iteration and reports each one's mean time and the ratios, so that load from
// other processes on a shared machine hits all four alike. ns/op is the sum of the four.
func BenchmarkParserInterleaved(b *testing.B) {
	for _, tc := range benchBodies(b) {
		b.Run(tc.name, func(b *testing.B) {
			var parser, walking, copying, decoding time.Duration
			n := 0
			run := func(walkAll bool) time.Duration {
				t0 := time.Now()
				p := NewParser(tc.dialect, 200, tc.ct)
				p.walkAll = walkAll
				writeInReads(p, tc.body)
				if !p.Result(true).HasUsage {
					b.Fatal("no usage")
				}
				return time.Since(t0)
			}
			for b.Loop() {
				if n%2 == 0 { // neither always runs first, on caches the other warmed
					parser += run(false)
					walking += run(true)
				} else {
					walking += run(true)
					parser += run(false)
				}
				t1 := time.Now()
				_, _ = io.Copy(io.Discard, bytes.NewReader(tc.body))
				t2 := time.Now()
				unmarshalAll(b, tc.dialect, tc.body)
				t3 := time.Now()
				copying += t2.Sub(t1)
				decoding += t3.Sub(t2)
				n++
			}
			b.ReportMetric(float64(parser.Nanoseconds())/float64(n), "parser-ns/op")
			b.ReportMetric(float64(walking.Nanoseconds())/float64(n), "walk-ns/op")
			b.ReportMetric(float64(copying.Nanoseconds())/float64(n), "copy-ns/op")
			b.ReportMetric(float64(decoding.Nanoseconds())/float64(n), "unmarshal-ns/op")
			b.ReportMetric(float64(parser)/float64(decoding), "parser/unmarshal")
			b.ReportMetric(float64(parser)/float64(walking), "parser/walk")
		})
	}
}
