package response

import (
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

// FuzzQuiet checks the skip decision on single events against the walk: a quiet event
// gives the walk nothing but, at most, a complaint about its syntax.
func FuzzQuiet(f *testing.F) {
	for _, s := range []string{
		`{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}`,
		`{"choices":[{"delta":{"content":"say \"finish_reason\":\"stop\""},"finish_reason":null}]}`,
		`{"choices":[{"delta":{"content":"a\\"},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":1}}}`,
		`{"error":{"message":"boom","type":"t"}}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, event []byte, known bool) {
		newParser := func() *Parser {
			p := NewParser(OpenAIChat, 200, ctSSE)
			if known {
				p.object([]byte(`{"id":"c1","model":"m"}`))
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
