package response

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

func TestQuiet(t *testing.T) {
	const first = `{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`
	tests := []struct {
		name      string
		known     bool // model and id already seen
		event     string
		wantQuiet bool
	}{
		{"content chunk", true, `{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}`, true},
		{"null usage on every chunk", true, `{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}`, true},
		{"white space around colon and null", true, "{\"choices\":[{\"finish_reason\" :\r\n null }],\"usage\"\t:null}", true},
		{"content quoting a finish reason", true, `{"choices":[{"delta":{"content":"say \"finish_reason\":\"stop\""},"finish_reason":null}]}`, true},
		{"content quoting usage with escaped backslashes", true, `{"choices":[{"delta":{"content":"a\\\"usage\\\":{\"x\":1}"},"finish_reason":null}]}`, true},
		{"id and model not yet seen", false, `{"id":"c1","model":"m","choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}`, false},
		{"id and model not yet seen, neither here", false, `{"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]}`, true},
		{"null id and model not yet seen", false, `{"id":null,"model":null,"choices":[]}`, true},
		{"finish reason", true, `{"choices":[{"delta":{},"finish_reason":"stop"}]}`, false},
		{"finish reason after white space", true, `{"choices":[{"delta":{},"finish_reason" : "stop"}]}`, false},
		{"finish reason of the wrong type", true, `{"choices":[{"finish_reason":5}]}`, false},
		{"second choice's finish reason", true, `{"choices":[{"finish_reason":null},{"finish_reason":"length"}]}`, false},
		{"finish reason after content ending in an escaped backslash", true, `{"choices":[{"delta":{"content":"a\\"},"finish_reason":"stop"}]}`, false},
		{"finish reason after content quoting a null one", true, `{"choices":[{"delta":{"content":"\"finish_reason\":null"},"finish_reason":"stop"}]}`, false},
		{"null prefix is not null", true, `{"choices":[{"finish_reason":nullx}]}`, false},
		{"top-level usage", true, `{"choices":[],"usage":{"prompt_tokens":1}}`, false},
		{"x_groq usage", true, `{"choices":[],"x_groq":{"id":"req_1","usage":{"prompt_tokens":1}}}`, false},
		{"usage breakdown", true, `{"x_groq":{"usage_breakdown":{"models":[]}}}`, false},
		{"error", true, `{"error":{"message":"boom"}}`, false},
		{"error as a string", true, `{"error":"boom"}`, false},
		{"not an object", true, `[1]`, false},
		{"cut short", true, `{"choices":[{"delta":{"content":"Hi`, false},
		// Only the framing is checked: the walk's complaint is lost, not data.
		{"cut short after a brace", true, `{"choices":[{"delta":{"content":"Hi"}`, true},
		{"empty", true, ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newParser := func() *Parser {
				p := NewParser(OpenAIChat, 200, ctSSE)
				if tc.known {
					p.object([]byte(first))
				}
				return p
			}
			p := newParser()
			if got := p.quiet([]byte(tc.event)); got != tc.wantQuiet {
				t.Fatalf("quiet = %v, want %v", got, tc.wantQuiet)
			}
			if !tc.wantQuiet {
				return
			}
			// What quiet skips, the walk would have taken nothing from but a complaint.
			walked := newParser()
			walked.object([]byte(tc.event))
			if before, after := found(p), found(walked); !reflect.DeepEqual(before, after) {
				t.Fatalf("walking the quiet event changed the result:\n got %s\nwant %s", dump(after), dump(before))
			}
		})
	}
}

func TestQuietTemplate(t *testing.T) {
	const (
		head = `{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"`
		tail = `"},"logprobs":null,"finish_reason":null}]}`
	)
	tests := []struct {
		name      string
		event     string
		wantMatch bool
		wantQuiet bool
	}{
		{"other text", head + " word2" + tail, true, true},
		{"empty text", head + tail, true, true},
		{"text with escapes quoting a finish reason", head + `say \"finish_reason\":\"stop\" \\` + tail, true, true},
		{"text closing the string to add a finish reason", head + `x","finish_reason":"stop` + tail, false, false},
		{"text ending in a backslash that escapes the closing quote", head + `x\` + tail, false, true},
		{"finish reason after the text", head + `" + "` + tail, false, true},
		{"other tail", head + "x" + `"},"logprobs":null,"finish_reason":"stop"}]}`, false, false},
		{"other head", `{"id":"c1","model":"m","choices":[{"index":1,"delta":{"content":"x` + tail, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(OpenAIChat, 200, ctSSE)
			p.object([]byte(head + tail)) // id and model
			if !p.quiet([]byte(head+" word1"+tail)) || p.like.hi == 0 {
				t.Fatalf("no template learnt: %+v", p.like)
			}
			event := []byte(tc.event)
			if got := p.like.matches(event); got != tc.wantMatch {
				t.Fatalf("matches = %v, want %v", got, tc.wantMatch)
			}
			if got := p.quiet(event); got != tc.wantQuiet {
				t.Fatalf("quiet = %v, want %v", got, tc.wantQuiet)
			}
		})
	}
}

func TestQuietTemplateRelearns(t *testing.T) {
	p := NewParser(OpenAIChat, 200, ctSSE)
	p.object([]byte(`{"id":"c1","model":"m"}`))
	chunk := func(i int, field string) []byte {
		return fmt.Appendf(nil, `{"choices":[{"delta":{"%s":"w%d"},"finish_reason":null}],"n":%d}`, field, i, i)
	}
	for i := range relearnAfter + 1 { // a field that changes in every chunk
		if !p.quiet(chunk(i, "content")) {
			t.Fatalf("chunk %d not quiet", i)
		}
	}
	if p.like.misses != 0 || !bytes.Equal(p.like.event, chunk(relearnAfter, "content")) {
		t.Fatalf("template not relearnt after %d misses: %+v", relearnAfter, p.like)
	}
}

func TestQuietTemplateToolCallArguments(t *testing.T) {
	p := NewParser(OpenAIChat, 200, ctSSE)
	p.object([]byte(`{"id":"c1","model":"m"}`))
	chunk := func(args string) []byte {
		return []byte(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"` + args + `"}}]},"finish_reason":null}]}`)
	}
	if !p.quiet(chunk(`{\"ci`)) {
		t.Fatal("first arguments chunk not quiet")
	}
	if got := string(p.like.event[p.like.lo:p.like.hi]); got != `{\"ci` {
		t.Fatalf("template text = %q, want the arguments", got)
	}
	if !p.like.matches(chunk(`ty\": \"Paris\"}`)) {
		t.Fatal("next arguments chunk does not match")
	}
}

func TestQuietTemplateWithoutText(t *testing.T) {
	p := NewParser(OpenAIChat, 200, ctSSE)
	p.object([]byte(`{"id":"c1","model":"m"}`))
	empty := []byte(`{"choices":[{"delta":{},"finish_reason":null}]}`)
	// Each quiet event without delta text would cost a walk to learn from; after one
	// attempt the next waits relearnAfter events.
	for i := range relearnAfter {
		if !p.quiet(empty) {
			t.Fatalf("event %d not quiet", i)
		}
		if !p.like.tried || p.like.hi != 0 || p.like.misses != i {
			t.Fatalf("event %d: template %+v, want tried, none and %d misses", i, p.like, i)
		}
	}
	p.quiet(empty)
	if p.like.misses != 0 {
		t.Fatalf("no new attempt after %d misses: %+v", relearnAfter, p.like)
	}
}

// FuzzQuiet checks the skip decision, after a first event that may have taught the
// template, against the walk: a quiet event gives the walk nothing but, at most, a
// complaint about its syntax.
func FuzzQuiet(f *testing.F) {
	const chunk = `{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}`
	for _, s := range []string{
		chunk,
		`{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"x\"},"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
		`{"choices":[{"delta":{"content":"say \"finish_reason\":\"stop\""},"finish_reason":null}]}`,
		`{"choices":[{"delta":{"content":"a\\"},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":1}}}`,
		`{"error":{"message":"boom","type":"t"}}`,
	} {
		f.Add([]byte(chunk), []byte(s), false)
		f.Add([]byte(chunk), []byte(s), true)
	}
	f.Fuzz(func(t *testing.T, first, event []byte, known bool) {
		newParser := func() *Parser {
			p := NewParser(OpenAIChat, 200, ctSSE)
			if known {
				p.object([]byte(`{"id":"c1","model":"m"}`))
			}
			if !p.quiet(first) {
				p.object(first)
			}
			return p
		}
		p := newParser()
		if !p.quiet(event) {
			return
		}
		walked := newParser()
		walked.object(event)
		if before, after := found(p), found(walked); !reflect.DeepEqual(before, after) {
			t.Fatalf("walking the quiet event %q changed the result:\n got %s\nwant %s", event, dump(after), dump(before))
		}
	})
}

// found is what p has taken from the events it walked, parse errors aside.
func found(p *Parser) Result {
	r := p.res
	p.openai.apply(&r)
	r.ParseError = ""
	return r
}
