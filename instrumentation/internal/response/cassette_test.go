package response

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/cassette"
)

// dialectOf tells the endpoint of a recorded request.
func dialectOf(uri string) Dialect {
	if strings.Contains(uri, ":generateContent") || strings.Contains(uri, ":streamGenerateContent") {
		return GeminiNative
	}
	return OpenAIChat
}

// replayed returns each response of a cassette as an app reading through the replay
// transport sees it, with gzip undone as Go's transport would.
func replayed(t *testing.T, c *cassette.Cassette) []*http.Response {
	t.Helper()
	client := &http.Client{Transport: c.Transport()}
	var out []*http.Response
	for range c.Interactions {
		resp, err := client.Post("http://127.0.0.1:1/", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		out = append(out, resp)
	}
	return out
}

// TestCassettes replays every recorded interaction through the parser. The expected
// values are the numbers in the cassette files (bodies decoded by hand); each non-stream
// body is also cross-checked against a generic decode.
func TestCassettes(t *testing.T) {
	dir, ok := cassette.Dir()
	if !ok {
		t.Skip("shared cassettes not found beside the repository root")
	}
	groqJoke := func(id string, completion int64) Result {
		return Result{
			Model: "llama3-8b-8192", ID: id, FinishReasons: []string{"stop"},
			Usage: Usage{InputTokens: 18, OutputTokens: completion, TotalTokens: 18 + completion}, HasUsage: true,
		}
	}
	want := map[string][]Result{
		"groq/openllmetry__groq_chat_nonstream_x6.yaml": {
			groqJoke("chatcmpl-645691ff-34af-4d0f-a1c1-fe888f8685cc", 43),
			groqJoke("chatcmpl-905402a5-a51c-4590-962e-a47450b6f5dc", 76),
			groqJoke("chatcmpl-33207e29-68cf-4548-bcb0-831e3278ccd7", 67),
			groqJoke("chatcmpl-38b5a5b7-3202-42bd-845a-87be16c3d146", 43),
			groqJoke("chatcmpl-09be22f3-a982-4850-8e0d-c26dfb96949d", 26),
			groqJoke("chatcmpl-80a4515d-c363-4fdd-b52c-7d616c16afe8", 52),
		},
		// 74 data events and [DONE]; usage only in the last event's x_groq.usage.
		"groq/openllmetry__groq_chat_stream.yaml": {{
			Model: "llama3-8b-8192", ID: "chatcmpl-532a6640-2e18-4a4c-8406-8437a857ce48", FinishReasons: []string{"stop"},
			Usage: Usage{InputTokens: 18, OutputTokens: 73, TotalTokens: 91}, HasUsage: true,
			Stream: true, Chunks: 74,
		}},
		"groq/pydanticai__groq_http400_tool_use_failed.yaml": {
			{Error: &APIError{
				Status: 400, Type: "invalid_request_error", Code: "tool_use_failed",
				Message: "Tool call validation failed: tool call validation failed: parameters for tool get_something_by_name did not match schema: errors: [missing properties: 'name', additionalProperties 'foo' not allowed]",
			}},
			{
				Model: "openai/gpt-oss-120b", ID: "chatcmpl-b089cbdd-ca65-41a1-9409-639d476f87c0", FinishReasons: []string{"tool_calls"},
				Usage: Usage{InputTokens: 301, OutputTokens: 52, ReasoningOutputTokens: 22, TotalTokens: 353}, HasUsage: true,
			},
			{
				Model: "openai/gpt-oss-120b", ID: "chatcmpl-c7c67aaa-6e09-4a05-a43c-664a9db28d52", FinishReasons: []string{"stop"},
				Usage:    Usage{InputTokens: 336, OutputTokens: 96, CacheReadInputTokens: 256, ReasoningOutputTokens: 59, TotalTokens: 432},
				HasUsage: true,
			},
		},
		// 877 candidates + 1058 thoughts are billed output; prompt 5; total 1940.
		"gemini/openllmetry__gemini25flash_nonstream_thoughts.yaml": {{
			Model: "gemini-2.5-flash", ID: "-hk4afOSMZKkjuMPnJWGkAk", FinishReasons: []string{"STOP"},
			Usage: Usage{
				InputTokens: 5, OutputTokens: 877 + 1058, ReasoningOutputTokens: 1058,
				PromptTokens: 5, CandidatesTokens: 877, ThoughtsTokens: 1058, TotalTokens: 1940,
			},
			HasUsage: true,
		}},
		// Prompt 15, 15, then 13 with 8 candidates: the last counts, not a sum.
		"gemini/pydanticai__gemini20flashexp_stream_cumulative_usage.yaml": {{
			Model: "gemini-2.0-flash-exp", ID: "w1peaMz6INOvnvgPgYfPiQY", FinishReasons: []string{"STOP"},
			Usage:    Usage{InputTokens: 13, OutputTokens: 8, PromptTokens: 13, CandidatesTokens: 8, TotalTokens: 21},
			HasUsage: true, Stream: true, Chunks: 3,
		}},
	}
	files, err := cassette.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			results, ok := want[rel]
			if !ok {
				t.Fatalf("no expectations for cassette %s", rel)
			}
			c, err := cassette.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Interactions) != len(results) {
				t.Fatalf("%d interactions, expectations for %d", len(c.Interactions), len(results))
			}
			for i, resp := range replayed(t, c) {
				body, _ := io.ReadAll(resp.Body)
				d := dialectOf(c.Interactions[i].Request.URI)
				checkSplits(t, d, resp.StatusCode, resp.Header.Get("Content-Type"), body, true, results[i])
				if body[0] == '{' {
					crossCheck(t, d, body, results[i])
				}
			}
		})
	}
}

// crossCheck compares billed usage with a generic decode of the body.
func crossCheck(t *testing.T, d Dialect, body []byte, want Result) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	num := func(m any, keys ...string) int64 {
		for _, k := range keys {
			mm, ok := m.(map[string]any)
			if !ok {
				return 0
			}
			m = mm[k]
		}
		f, _ := m.(float64)
		return int64(f)
	}
	var in, out int64
	switch d {
	case GeminiNative:
		in = num(v, "usageMetadata", "promptTokenCount") + num(v, "usageMetadata", "toolUsePromptTokenCount")
		out = num(v, "usageMetadata", "candidatesTokenCount") + num(v, "usageMetadata", "thoughtsTokenCount")
	default:
		in, out = num(v, "usage", "prompt_tokens"), num(v, "usage", "completion_tokens")
	}
	if in != want.Usage.InputTokens || out != want.Usage.OutputTokens {
		t.Errorf("generic decode says input %d, output %d; expectation says %d, %d", in, out, want.Usage.InputTokens, want.Usage.OutputTokens)
	}
}
