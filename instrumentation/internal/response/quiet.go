package response

import "bytes"

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
	if p.dialect != OpenAIChat || p.walkAll || !framedObject(b) {
		return false
	}
	// Every key is followed by a colon: look at each colon's key, if it has one.
	for i := 0; ; {
		c := bytes.IndexByte(b[i:], ':')
		if c < 0 {
			return true
		}
		c += i
		i = c + 1
		q := c // the key's closing quote + 1, if there is a key
		for q > 0 && isSpace(b[q-1]) {
			q--
		}
		if q == 0 || b[q-1] != '"' {
			continue
		}
		open := bytes.LastIndexByte(b[:q-1], '"')
		if open < 0 || !p.reads(string(b[open+1:q-1])) {
			continue
		}
		if !nullAt(b, skipSpace(b, i)) {
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
	}
	return false
}

// framedObject reports whether b, trimmed of JSON white space, starts with { and ends
// with }; an event cut short or not an object at all is left to the walk to report.
func framedObject(b []byte) bool {
	i, j := skipSpace(b, 0), len(b)
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return j-i >= 2 && b[i] == '{' && b[j-1] == '}'
}

// nullAt reports whether b[i:] starts with a null value as skipValue delimits it.
func nullAt(b []byte, i int) bool {
	v := b[i:]
	if len(v) <= 4 || string(v[:4]) != "null" {
		return false // not null, or null that may go on in bytes not seen
	}
	switch c := v[4]; {
	case isSpace(c), c == ',', c == '}', c == ']':
		return true
	}
	return false
}
