package cassette

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dir returns the shared cassette folder or skips the test.
func dir(t *testing.T) string {
	t.Helper()
	d, ok := Dir()
	if !ok {
		t.Skip("shared cassettes not found beside the repository root")
	}
	return d
}

// The expectations below were read from the YAML files by hand.
var recorded = []struct {
	file         string
	statuses     []int
	gzip         bool
	contentType  string
	bodyContains string // in the first response's decoded body
	reqContains  string // in the first request's body
}{
	{"groq/openllmetry__groq_chat_nonstream_x6.yaml", []int{200, 200, 200, 200, 200, 200}, true, "application/json", `"usage"`, `"model": "llama3-8b-8192"`},
	{"groq/openllmetry__groq_chat_stream.yaml", []int{200}, false, "text/event-stream", `"x_groq":{"id":"req_01jmefve36eajb6c1x6k8ppv5m","usage":`, `"stream": true`},
	{"groq/pydanticai__groq_http400_tool_use_failed.yaml", []int{400, 200, 200}, false, "application/json", `"code":"tool_use_failed"`, `"model":"openai/gpt-oss-120b"`},
	{"gemini/openllmetry__gemini25flash_nonstream_thoughts.yaml", []int{200}, true, "application/json; charset=UTF-8", `"thoughtsTokenCount": 1058`, `"What is ai?"`},
	{"gemini/pydanticai__gemini20flashexp_stream_cumulative_usage.yaml", []int{200}, false, "text/event-stream", "\"responseId\": \"w1peaMz6INOvnvgPgYfPiQY\"}\r\n\r\ndata: ", `"temperature":0`},
}

func TestLoadRecorded(t *testing.T) {
	d := dir(t)
	files, err := Files(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(recorded) {
		t.Errorf("Files found %d cassettes, want %d: %v", len(files), len(recorded), files)
	}
	for _, tc := range recorded {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join(d, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(filepath.Base(tc.file), ".yaml"); c.Name != want {
				t.Errorf("Name = %q, want %q", c.Name, want)
			}
			if len(c.Interactions) != len(tc.statuses) {
				t.Fatalf("%d interactions, want %d", len(c.Interactions), len(tc.statuses))
			}
			for i, in := range c.Interactions {
				if in.Response.Status != tc.statuses[i] {
					t.Errorf("interaction %d: status %d, want %d", i, in.Response.Status, tc.statuses[i])
				}
				if in.Request.Method != http.MethodPost || !strings.HasPrefix(in.Request.URI, "https://") {
					t.Errorf("interaction %d: request %s %s", i, in.Request.Method, in.Request.URI)
				}
				if got := in.Response.Header.Get("Content-Type"); got != tc.contentType {
					t.Errorf("interaction %d: Content-Type %q, want %q", i, got, tc.contentType)
				}
				gz := len(in.Response.Body) > 2 && in.Response.Body[0] == 0x1f && in.Response.Body[1] == 0x8b
				if gz != tc.gzip || (in.Response.Header.Get("Content-Encoding") == "gzip") != tc.gzip {
					t.Errorf("interaction %d: gzip magic %v, Content-Encoding %q, want gzip=%v", i, gz, in.Response.Header.Get("Content-Encoding"), tc.gzip)
				}
				body, err := in.Response.Decoded()
				if err != nil {
					t.Fatalf("interaction %d: %v", i, err)
				}
				if !strings.Contains(tc.contentType, "event-stream") && !json.Valid(body) {
					t.Errorf("interaction %d: decoded body is not JSON: %.200q", i, body)
				}
			}
			body, _ := c.Interactions[0].Response.Decoded()
			if !bytes.Contains(body, []byte(tc.bodyContains)) {
				t.Errorf("first response body lacks %q:\n%.600s", tc.bodyContains, body)
			}
			if !bytes.Contains(c.Interactions[0].Request.Body, []byte(tc.reqContains)) {
				t.Errorf("first request body lacks %q:\n%.600s", tc.reqContains, c.Interactions[0].Request.Body)
			}
		})
	}
}

func TestRecordedDetails(t *testing.T) {
	d := dir(t)
	// Single-quoted YAML folds line breaks: SSE events keep their blank-line separators
	// and the stream ends with the [DONE] event.
	c, err := Load(filepath.Join(d, "groq/openllmetry__groq_chat_stream.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := c.Interactions[0].Response.Body
	if !bytes.HasSuffix(body, []byte("}\n\ndata: [DONE]\n\n")) {
		t.Errorf("stream body ends %q", body[len(body)-40:])
	}
	if n := bytes.Count(body, []byte("\n\ndata: ")); n < 50 {
		t.Errorf("only %d event separators", n)
	}
	if got := c.Interactions[0].Response.Header.Values("X-Ratelimit-Limit-Tokens"); len(got) != 1 || got[0] != "6000" {
		t.Errorf("X-Ratelimit-Limit-Tokens = %q, want [6000]", got)
	}

	// Multi-valued headers stay lists.
	g, err := Load(filepath.Join(d, "gemini/openllmetry__gemini25flash_nonstream_thoughts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Interactions[0].Response.Header.Values("Vary"); strings.Join(got, ",") != "Origin,X-Origin,Referer" {
		t.Errorf("Vary = %q", got)
	}
	if got := g.Interactions[0].Request.Header.Get("X-Goog-Api-Key"); got != "DUMMY_GOOGLE_API_KEY" {
		t.Errorf("request X-Goog-Api-Key = %q", got)
	}

	// parsed_body is re-encoded as JSON with its YAML values typed.
	p, err := Load(filepath.Join(d, "groq/pydanticai__groq_http400_tool_use_failed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Usage struct {
			PromptTokens int64 `json:"prompt_tokens"`
			Details      struct {
				Cached int64 `json:"cached_tokens"`
			} `json:"prompt_tokens_details"`
		} `json:"usage"`
		UsageBreakdown *json.RawMessage `json:"usage_breakdown"`
	}
	if err := json.Unmarshal(p.Interactions[2].Response.Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Usage.PromptTokens != 336 || resp.Usage.Details.Cached != 256 {
		t.Errorf("usage = %+v, want 336 prompt, 256 cached", resp.Usage)
	}
	if !bytes.Contains(p.Interactions[2].Response.Body, []byte(`"usage_breakdown":null`)) {
		t.Errorf("null value not kept: %s", p.Interactions[2].Response.Body)
	}
}

func TestParseBodies(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name    string
		yaml    string
		want    string // response body
		decoded string
	}{
		{
			name: "string mapping",
			yaml: "interactions:\n- request: {method: POST, uri: 'http://x/'}\n  response:\n    status: {code: 200}\n    body: {string: 'hello'}\n",
			want: "hello", decoded: "hello",
		},
		{
			name: "plain string",
			yaml: "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 201}\n    body: 'plain'\n",
			want: "plain", decoded: "plain",
		},
		{
			name: "null body",
			yaml: "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 204}\n    body: null\n",
			want: "", decoded: "",
		},
		{
			name: "binary gzip",
			yaml: "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 200}\n    headers: {content-encoding: [gzip]}\n    body:\n      string: !!binary |\n        " +
				base64.StdEncoding.EncodeToString(gz(`{"a":1}`)) + "\n",
			want: string(gz(`{"a":1}`)), decoded: `{"a":1}`,
		},
		{
			name: "parsed_body",
			yaml: "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 200}\n    parsed_body:\n      b: [1, 2.5, null]\n      a: {c: text}\n",
			want: `{"a":{"c":"text"},"b":[1,2.5,null]}`, decoded: `{"a":{"c":"text"},"b":[1,2.5,null]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.name, []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			r := c.Interactions[0].Response
			if string(r.Body) != tc.want {
				t.Errorf("Body = %q, want %q", r.Body, tc.want)
			}
			d, err := r.Decoded()
			if err != nil || string(d) != tc.decoded {
				t.Errorf("Decoded() = %q, %v; want %q", d, err, tc.decoded)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"bad yaml", "interactions: [", "decode yaml"},
		{"bad base64", "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 200}\n    body: {string: !!binary '@@@'}\n", "interactions[0].response: body: line 5: !!binary"},
		{"bad status", "interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 0}\n", "interactions[0].response.status.code: 0"},
		{"body list", "interactions:\n- request: {method: GET, uri: 'http://x/', body: [1]}\n  response:\n    status: {code: 200}\n", "interactions[0].request: body: line 2: want a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.name, []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDecodedUnsupported(t *testing.T) {
	r := Response{Header: http.Header{"Content-Encoding": {"br"}}, Body: []byte("x")}
	if _, err := r.Decoded(); err == nil || !strings.Contains(err.Error(), `"br"`) {
		t.Errorf("err = %v, want unsupported br", err)
	}
}

func TestTransportReplaysWire(t *testing.T) {
	d := dir(t)
	for _, tc := range recorded {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join(d, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: c.Transport()}
			for i, in := range c.Interactions {
				resp, err := client.Post("http://127.0.0.1:1/v1/x", "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				got, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil {
					t.Fatalf("request %d: read body: %v", i, err)
				}
				if resp.StatusCode != in.Response.Status {
					t.Errorf("request %d: status %d, want %d", i, resp.StatusCode, in.Response.Status)
				}
				if !bytes.Equal(got, in.Response.Body) {
					t.Errorf("request %d: body differs from the recorded wire bytes (%d vs %d bytes)", i, len(got), len(in.Response.Body))
				}
				for k, vs := range in.Response.Header {
					if k == "Transfer-Encoding" || k == "Content-Length" {
						continue
					}
					if g := resp.Header.Values(k); strings.Join(g, "\x00") != strings.Join(vs, "\x00") {
						t.Errorf("request %d: header %s = %q, want %q", i, k, g, vs)
					}
				}
				if in.Response.Header.Get("Transfer-Encoding") == "chunked" {
					if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.Header.Get("Content-Length") != "" {
						t.Errorf("request %d: chunked response has ContentLength %d, TransferEncoding %q, Content-Length %q",
							i, resp.ContentLength, resp.TransferEncoding, resp.Header.Get("Content-Length"))
					}
				} else if in.Response.Header.Get("Content-Length") != "" && resp.ContentLength != int64(len(got)) {
					t.Errorf("request %d: ContentLength %d, body %d bytes", i, resp.ContentLength, len(got))
				}
			}
			if _, err := client.Get("http://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "already replayed") {
				t.Errorf("request past the end: err = %v, want already replayed", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	if d, ok := Dir(); ok {
		files, _ := Files(d)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response:\n    status: {code: 200}\n    body: {string: !!binary 'aGk='}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		for _, in := range c.Interactions {
			_, _ = in.Response.Decoded()
			resp, err := in.Response.wire(&http.Request{Method: http.MethodGet})
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
			}
		}
	})
}

// TestParseRubyVCR reads Ruby VCR's layout: http_interactions, lower-case methods,
// bodies as {encoding, string} and binary ones as {encoding, base64_string}.
func TestParseRubyVCR(t *testing.T) {
	const doc = `---
http_interactions:
- request:
    method: post
    uri: https://generativelanguage.googleapis.com/v1beta/cachedContents
    body:
      encoding: UTF-8
      string: '{"model":"models/gemini-2.5-flash"}'
    headers:
      X-Goog-Api-Key:
      - "<GEMINI_API_KEY>"
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json; charset=UTF-8
    body:
      encoding: ASCII-8BIT
      string: |
        {"usageMetadata": {"totalTokenCount": 9609}}
- request:
    method: get
    uri: https://example.com/file
    body:
      encoding: US-ASCII
      string: ''
  response:
    status:
      code: 200
    body:
      encoding: ASCII-8BIT
      base64_string: AAEC
recorded_with: VCR 6.4.0
`
	c, err := Parse("ruby", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Interactions) != 2 {
		t.Fatalf("interactions = %d, want 2", len(c.Interactions))
	}
	first := c.Interactions[0]
	if first.Request.Method != "POST" || string(first.Request.Body) != `{"model":"models/gemini-2.5-flash"}` ||
		first.Request.Header.Get("X-Goog-Api-Key") != "<GEMINI_API_KEY>" {
		t.Errorf("request = %+v", first.Request)
	}
	if first.Response.Status != 200 || string(first.Response.Body) != "{\"usageMetadata\": {\"totalTokenCount\": 9609}}\n" {
		t.Errorf("response = %+v (%q)", first.Response, first.Response.Body)
	}
	if got := c.Interactions[1].Response.Body; !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("base64 body = %v, want 0 1 2", got)
	}
}
