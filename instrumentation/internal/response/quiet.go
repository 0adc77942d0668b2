package response

import (
	"bytes"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// Most events of a stream carry only content: an OpenAI chunk's choices[].delta with
// "finish_reason":null. Walking their fields is most of a stream's parsing cost, so an
// event is first searched for the keys whose values the walk would read; when each of
// them is absent or null, the walk is skipped.
//
// The search works on raw bytes and may be fooled only towards walking: a key name
// inside a string value (content quoting JSON) may be taken as a key, and then the walk
// decides. It cannot miss a key the walk reads: the walk compares raw key bytes too, so
// such a key appears in the event as "name" before a colon, and every colon is looked at.
// A skipped event is not validated beyond its framing, so a malformed content chunk in
// the middle of a stream is not reported as invalid_json.

// quiet reports whether the event b, a complete OpenAI chunk, can give the Result nothing
// that walking its fields would: each key the walk reads (finish reasons, both usage
// reports, compound's breakdown, in-band errors, and id and model until they are known)
// is absent or null.
func (p *Parser) quiet(b []byte) bool {
	if p.dialect != OpenAIChat || p.walkAll {
		return false
	}
	if p.like.matches(b) {
		return true
	}
	if !framedObject(b) || !p.readKeysNull(b) {
		return false
	}
	p.like.learn(b)
	return true
}

// readKeysNull reports whether each key the walk reads is absent from b or null.
func (p *Parser) readKeysNull(b []byte) bool {
	// Every key is followed by a colon: look at each colon's key, if it has one.
	for i := 0; ; {
		c := bytes.IndexByte(b[i:], ':')
		if c < 0 {
			return true
		}
		c += i
		i = c + 1
		q := c // the key's closing quote + 1, if there is a key
		for q > 0 && jsonscan.IsSpace(b[q-1]) {
			q--
		}
		if q == 0 || b[q-1] != '"' {
			continue
		}
		open := bytes.LastIndexByte(b[:q-1], '"')
		if open < 0 || !p.reads(string(b[open+1:q-1])) {
			continue
		}
		if !nullAt(b, jsonscan.SkipSpace(b, i)) {
			return false
		}
	}
}

// reads reports whether the OpenAI field walk would read the value of a key with this
// raw name, at whatever depth.
func (p *Parser) reads(name string) bool {
	switch name {
	case "finish_reason", "usage", "usage_breakdown", "error":
		return true
	case "id":
		return p.res.ID == ""
	case "model":
		return p.res.Model == ""
	case "service_tier":
		return !p.surface.tierSeen
	}
	return false
}

// framedObject reports whether b, trimmed of JSON white space, starts with { and ends
// with }; an event cut short or not an object at all is left to the walk to report.
func framedObject(b []byte) bool {
	i, j := jsonscan.SkipSpace(b, 0), len(b)
	for j > i && jsonscan.IsSpace(b[j-1]) {
		j--
	}
	return j-i >= 2 && b[i] == '{' && b[j-1] == '}'
}

// nullAt reports whether b[i:] starts with a null value as jsonscan.SkipValue delimits it.
func nullAt(b []byte, i int) bool {
	v := b[i:]
	if len(v) <= 4 || string(v[:4]) != "null" {
		return false // not null, or null that may go on in bytes not seen
	}
	switch c := v[4]; {
	case jsonscan.IsSpace(c), c == ',', c == '}', c == ']':
		return true
	}
	return false
}

// quietTemplate is a quiet event whose first string in choices[0].delta (content,
// reasoning or tool-call arguments) is known to be at event[lo:hi]. The content chunks of
// a stream differ only in that text, and an event that equals the template outside it is
// quiet as well: the walk would see the same keys and values but for one string, the
// value of a key it does not read. Comparing two slices is much cheaper than looking at
// every key.
type quietTemplate struct {
	event  []byte
	lo, hi int  // the text between the string's quotes; hi == 0: no template
	tried  bool // learning was attempted
	misses int  // events since the last attempt that did not match
}

// relearnAfter is how many non-matching events make the template learn again: learning
// costs a walk, so a stream whose chunks differ elsewhere too (a per-chunk random field)
// or have no delta text pays it only now and then.
const relearnAfter = 8

// matches reports whether b equals the template outside its text and has one whole
// JSON string there.
func (t *quietTemplate) matches(b []byte) bool {
	if t.hi == 0 {
		t.misses++
		return false
	}
	tail := len(t.event) - t.hi // from the closing quote on
	end := len(b) - tail
	if end < t.lo || !bytes.Equal(b[:t.lo], t.event[:t.lo]) || !bytes.Equal(b[end:], t.event[t.hi:]) {
		t.misses++
		return false
	}
	// The text must end at the template's closing quote, not before it (a quote in the
	// text) nor after it (a backslash escaping that quote).
	if close, err := jsonscan.SkipString(b, t.lo-1); err != nil || close != end+1 {
		t.misses++
		return false
	}
	return true
}

// learn makes the quiet event b the template, if it is time to and b has delta text.
func (t *quietTemplate) learn(b []byte) {
	if t.tried && t.misses < relearnAfter {
		return
	}
	t.tried, t.misses = true, 0
	lo, hi, ok := deltaText(b)
	if !ok {
		t.hi = 0
		return
	}
	t.event = append(t.event[:0], b...)
	t.lo, t.hi = lo, hi
}

// deltaText finds the first string in choices[0].delta of the OpenAI chunk b, located by
// the same scanner the walk uses, and returns the bounds of its text.
func deltaText(b []byte) (lo, hi int, ok bool) {
	var choice []byte
	_ = jsonscan.Elements(jsonscan.Field(b, "choices"), func(elem []byte) {
		if choice == nil {
			choice = elem
		}
	})
	text := firstStringIn(jsonscan.Field(choice, "delta"), 5)
	if text == nil {
		return 0, 0, false
	}
	// text is a slice of b: its offset is how much shorter its capacity is.
	lo = cap(b) - cap(text) + 1
	return lo, lo + len(text) - 2, true
}

// firstStringIn returns the first string value in the JSON value v, depth first and at
// most depth containers down (tool-call arguments are 4 below delta), or nil.
func firstStringIn(v []byte, depth int) (found []byte) {
	if len(v) >= 2 && v[0] == '"' {
		return v
	}
	if depth == 0 || len(v) == 0 {
		return nil
	}
	visit := func(val []byte) {
		if found == nil {
			found = firstStringIn(val, depth-1)
		}
	}
	switch v[0] {
	case '{':
		_ = jsonscan.Fields(v, func(_, val []byte) { visit(val) })
	case '[':
		_ = jsonscan.Elements(v, visit)
	}
	return found
}
