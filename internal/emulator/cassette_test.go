package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/internal/cassette"
	"github.com/aiusage/aiusage/internal/emulator"
)

// notEmulated are recorded fields (and everything under them) the emulator does not
// produce, and why.
var notEmulated = map[string]string{
	"choices[].message.tool_calls": "the emulator answers with text, never with tool calls",
}

func emulated(path string) bool {
	for p := range notEmulated {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[]") {
			return false
		}
	}
	return true
}

// headersToMatch are recorded response headers the instrumentation or a client reads.
var headersToMatch = []string{
	"Content-Type", "Content-Disposition", "Vary", "Server-Timing",
	"x-groq-region", "x-request-id",
	"x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests",
	"x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
}

// TestShapesMatchRecordings replays every successful recorded request to the emulator and
// checks that the answer has the recorded status, content type, headers, SSE framing and
// every recorded JSON field.
func TestShapesMatchRecordings(t *testing.T) {
	dir, ok := cassette.Dir()
	if !ok {
		t.Skip("shared cassettes not found beside the repository root")
	}
	files, err := cassette.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		c, err := cassette.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{})
			for i, it := range c.Interactions {
				reqBody := it.Request.Body
				if it.Response.Status != http.StatusOK {
					if !bytes.Contains(it.Response.Body, []byte("tool_use_failed")) {
						continue // other recorded failures have no trigger; other tests cover them
					}
					reqBody = withTrigger(t, reqBody)
				}
				u, err := url.Parse(it.Request.URI)
				if err != nil {
					t.Fatal(err)
				}
				base, auth := e.groq.URL, map[string]string{"Authorization": "Bearer k"}
				if strings.Contains(u.Host, "googleapis") {
					base, auth = e.gemini.URL, map[string]string{"x-goog-api-key": "k"}
				}
				status, header, body := post(t, base+u.RequestURI(), string(reqBody), auth)
				if status != it.Response.Status {
					t.Fatalf("interaction %d: status %d, recorded %d: %s", i, status, it.Response.Status, body)
				}
				recorded, err := it.Response.Decoded()
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range headersToMatch {
					if it.Response.Header.Get(name) != "" && header.Get(name) == "" {
						t.Errorf("interaction %d: header %s recorded (%q) but not sent", i, name, it.Response.Header.Get(name))
					}
				}
				if got, want := header.Get("Content-Type"), it.Response.Header.Get("Content-Type"); got != want {
					t.Errorf("interaction %d: Content-Type %q, recorded %q", i, got, want)
				}
				wantPaths, wantFraming := shape(t, recorded)
				gotPaths, gotFraming := shape(t, []byte(body))
				if gotFraming != wantFraming {
					t.Errorf("interaction %d: framing %+v, recorded %+v", i, gotFraming, wantFraming)
				}
				for _, p := range wantPaths {
					if emulated(p) && !slices.Contains(gotPaths, p) && !emulatedWhenNeeded(p) {
						t.Errorf("interaction %d: recorded field %s missing", i, p)
					}
				}
			}
		})
	}
}

// withTrigger appends the tool_use_failed trigger to the last message of a recorded request.
func withTrigger(t *testing.T, body []byte) []byte {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	msgs := req["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	last["content"] = last["content"].(string) + " " + emulator.ToolUseFailedTrigger
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// emulatedWhenNeeded reports fields the emulator sends only when their value is not zero:
// the recording had cached tokens, a fresh emulator has none yet.
func emulatedWhenNeeded(path string) bool {
	return path == "usage.prompt_tokens_details" || path == "usage.prompt_tokens_details.cached_tokens"
}

// framing is how a body is cut into JSON documents.
type framing struct {
	sse       bool
	separator string // between SSE events
	done      bool   // ends with data: [DONE]
}

// shape returns the sorted JSON field paths of a body (a JSON document or an SSE stream of
// them) and its framing.
func shape(t *testing.T, body []byte) ([]string, framing) {
	t.Helper()
	paths := map[string]bool{}
	var f framing
	if bytes.HasPrefix(body, []byte("data: ")) {
		f.sse = true
		f.separator = "\n\n"
		if bytes.Contains(body, []byte("\r\n\r\n")) {
			f.separator = "\r\n\r\n"
		}
		for _, ev := range strings.Split(strings.TrimSuffix(string(body), f.separator), f.separator) {
			data := strings.TrimPrefix(ev, "data: ")
			if data == "[DONE]" {
				f.done = true
				continue
			}
			collect(t, []byte(data), paths)
		}
	} else {
		collect(t, body, paths)
	}
	out := make([]string, 0, len(paths))
	for p := range paths {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, f
}

func collect(t *testing.T, doc []byte, paths map[string]bool) {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	for {
		if err := dec.Decode(&v); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("decode %q: %v", doc, err)
		}
		walk("", v, paths)
	}
}

func walk(prefix string, v any, paths map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			paths[p] = true
			walk(p, child, paths)
		}
	case []any:
		for _, child := range v {
			walk(prefix+"[]", child, paths)
		}
	}
}

// The helper must find fields at every depth, or the test above proves nothing.
func TestShapeFindsNestedFields(t *testing.T) {
	paths, f := shape(t, []byte("data: {\"a\":{\"b\":[{\"c\":1}]}}\r\n\r\ndata: {\"d\":null}\r\n\r\n"))
	want := []string{"a", "a.b", "a.b[].c", "d"}
	if !slices.Equal(paths, want) || f != (framing{sse: true, separator: "\r\n\r\n"}) {
		t.Errorf("paths %v framing %+v, want %v", paths, f, want)
	}
}
