package response

import (
	"encoding/json"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// fuzzParser fuzzes one body format: the parser must not panic, Write must take every
// byte, and the Result must not depend on how the body is cut into writes.
func fuzzParser(f *testing.F, d Dialect, status int, ct string, seeds [][]byte) {
	for i, s := range seeds {
		f.Add(s, uint64(i))
	}
	f.Fuzz(func(t *testing.T, body []byte, cuts uint64) {
		complete := cuts&1 == 0
		whole := parse(d, status, ct, [][]byte{body}, complete)
		r := rand.New(rand.NewSource(int64(cuts)))
		var pieces [][]byte
		for rest := body; len(rest) > 0; {
			n := min(r.Intn(32), len(rest)) // zero-length writes included
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		if split := parse(d, status, ct, pieces, complete); !reflect.DeepEqual(whole, split) {
			t.Fatalf("split into %d writes:\n got %s\nwant %s", len(pieces), dump(split), dump(whole))
		}
		// A Parser Reset after a body (its buffers grown, a template learned from the
		// same events) reads the next as a new Parser does: pooled parsers rely on it.
		reused := NewParser(d, status, ct)
		for _, b := range append(pieces, body) {
			_, _ = reused.Write(b)
		}
		_ = reused.Result(!complete)
		reused.Reset(d, status, ct)
		for _, b := range pieces {
			_, _ = reused.Write(b)
		}
		if again := reused.Result(complete); !reflect.DeepEqual(whole, again) {
			t.Fatalf("after Reset:\n got %s\nwant %s", dump(again), dump(whole))
		}
		// Skipping quiet events loses nothing the walk finds but the walk's complaints
		// about the events skipped.
		walker := NewParser(d, status, ct)
		walker.walkAll = true
		_, _ = walker.Write(body)
		walked := walker.Result(complete)
		if walked.ParseError == "" && whole.ParseError != "" {
			t.Fatalf("skipping quiet events made a parse error:\n got %s\nwalked %s", dump(whole), dump(walked))
		}
		skipped := whole
		skipped.ParseError = walked.ParseError
		if !reflect.DeepEqual(skipped, walked) {
			t.Fatalf("skipping quiet events:\n got %s\nwalked %s", dump(whole), dump(walked))
		}
		// A valid object body read member by member says what reading it whole says.
		if i := jsonscan.SkipSpace(body, 0); complete && i < len(body) && body[i] == '{' && json.Valid(body) {
			ref := NewParser(d, status, ct)
			ref.object(body)
			ref.settle()
			want := ref.res
			if !reflect.DeepEqual(whole, want) {
				t.Fatalf("streamed members:\n got %s\nwhole object %s", dump(whole), dump(want))
			}
		}
	})
}

// seeds returns the testdata files whose names match any of the patterns.
func seeds(f *testing.F, patterns ...string) [][]byte {
	var out [][]byte
	for _, pat := range patterns {
		paths, _ := filepath.Glob(filepath.Join("testdata", pat))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func FuzzGroqJSON(f *testing.F) {
	fuzzParser(f, OpenAIChat, 200, ctJSON, seeds(f, "groq_chat*.json", "groq_compound.json"))
}

func FuzzSSE(f *testing.F) {
	fuzzParser(f, OpenAIChat, 200, ctSSE, seeds(f, "groq_*.sse", "gemini_openai_stream.sse"))
}

func FuzzGeminiJSON(f *testing.F) {
	fuzzParser(f, GeminiNative, 200, ctJSON, seeds(f, "gemini_generate*.json", "gemini_*_input.json", "gemini_*_output.json"))
}

func FuzzTranscription(f *testing.F) {
	fuzzParser(f, Transcription, 200, ctJSON, seeds(f, "voice/groq_transcription*.json", "voice/groq_transcription_text.txt"))
}

func FuzzGeminiSSE(f *testing.F) {
	fuzzParser(f, GeminiNative, 200, ctSSE, seeds(f, "gemini_stream*.sse", "gemini_429_quota.json"))
}

func FuzzJSONArrayStream(f *testing.F) {
	fuzzParser(f, GeminiNative, 200, ctJSON, seeds(f, "gemini_array_stream.json"))
}

func FuzzErrorBody(f *testing.F) {
	bodies := seeds(f, "*429*.json", "*413*.json", "gemini_openai_error_array.json", "proxy_502.html")
	bodies = append(bodies, []byte("event: error\ndata: {\"error\":{\"message\":\"m\",\"type\":\"t\",\"code\":\"c\",\"status_code\":500}}\n\n"))
	fuzzParser(f, OpenAIChat, 429, ctSSE, bodies)
}

// TestFuzzSeedsParse makes sure the seed corpora are real bodies the parser understands,
// so the fuzzers start from meaningful inputs.
func TestFuzzSeedsParse(t *testing.T) {
	for _, pat := range []string{"*.json", "*.sse"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", pat))
		for _, p := range paths {
			if strings.Contains(p, "truncated") {
				continue
			}
			d := OpenAIChat
			if strings.Contains(p, "gemini_") && !strings.Contains(p, "openai") {
				d = GeminiNative
			}
			ct := ctJSON
			if strings.HasSuffix(p, ".sse") {
				ct = ctSSE
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			pr := NewParser(d, 200, ct)
			_, _ = io.Copy(pr, f)
			_ = f.Close()
			if r := pr.Result(true); r.ParseError != "" || (!r.HasUsage && r.Error == nil) {
				t.Errorf("%s: %s", p, dump(r))
			}
		}
	}
}

func FuzzEmbeddings(f *testing.F) {
	fuzzParser(f, GeminiEmbeddings, 200, ctJSON, seeds(f, "surface/*embed*.json", "surface/vertex_predict*.json"))
}

func FuzzResponsesJSON(f *testing.F) {
	fuzzParser(f, OpenAIResponses, 200, ctJSON, seeds(f, "surface/responses.json"))
}

func FuzzResponsesSSE(f *testing.F) {
	fuzzParser(f, OpenAIResponses, 200, ctSSE, seeds(f, "surface/responses_stream.sse"))
}

func FuzzCachedContent(f *testing.F) {
	fuzzParser(f, GeminiCachedContent, 200, ctJSON, seeds(f, "surface/*cached_content.json"))
}

func FuzzBatchJob(f *testing.F) {
	fuzzParser(f, BatchJob, 200, ctJSON, seeds(f, "surface/*batch*.json"))
}

func FuzzBatchFile(f *testing.F) {
	fuzzParser(f, BatchFile, 200, "application/octet-stream", seeds(f, "surface/*.jsonl"))
}

func FuzzGrounding(f *testing.F) {
	fuzzParser(f, GeminiNative, 200, ctSSE, seeds(f, "surface/*grounding*", "surface/vertex_flex*"))
}
