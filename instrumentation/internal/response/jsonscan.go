package response

import (
	"bytes"
	"encoding/json"
	"errors"
)

// A small JSON scanner: it walks an object's top-level fields so only the few values the
// telemetry needs are decoded, while long content strings are skipped with IndexByte.
// Values handed to callers are not validated here; encoding/json validates those it decodes.

var (
	errTruncated = errors.New("json: unexpected end of input")
	errInvalid   = errors.New("json: invalid syntax")
	errBadCount  = errors.New("json: token count is not a non-negative integer")
)

// objectFields calls fn with the raw key (without quotes) and raw value of each field of
// the JSON object b, in order.
func objectFields(b []byte, fn func(key, value []byte)) error {
	i := skipSpace(b, 0)
	if i == len(b) {
		return errTruncated
	}
	if b[i] != '{' {
		return errInvalid
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return onlySpace(b, i+1)
	}
	for {
		if i >= len(b) {
			return errTruncated
		}
		if b[i] != '"' {
			return errInvalid
		}
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) {
			return errTruncated
		}
		if b[i] != ':' {
			return errInvalid
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		fn(key, b[i:vend])
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errTruncated
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return onlySpace(b, i+1)
		default:
			return errInvalid
		}
	}
}

// arrayElems calls fn with each raw element of the JSON array b, in order.
func arrayElems(b []byte, fn func(elem []byte)) error {
	i := skipSpace(b, 0)
	if i == len(b) {
		return errTruncated
	}
	if b[i] != '[' {
		return errInvalid
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return onlySpace(b, i+1)
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return err
		}
		fn(b[i:end])
		i = skipSpace(b, end)
		if i >= len(b) {
			return errTruncated
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return onlySpace(b, i+1)
		default:
			return errInvalid
		}
	}
}

func onlySpace(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errInvalid
	}
	return nil
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	// Keys and most values are short: a plain loop beats IndexByte's setup for them.
	for end := min(j+16, len(b)); j < end && b[j] != '"'; j++ {
	}
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errTruncated
		}
		j += k
		backslashes := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			backslashes++
		}
		j++
		if backslashes%2 == 0 {
			return j, nil
		}
	}
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errTruncated
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, errTruncated
	case ',', ':', '}', ']':
		return 0, errInvalid
	default:
		j := i
		for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		if j == len(b) {
			return 0, errTruncated
		}
		return j, nil
	}
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isNull(v []byte) bool { return string(v) == "null" }

// jsonString decodes a JSON string value; null is "".
func jsonString(v []byte) (string, error) {
	if isNull(v) {
		return "", nil
	}
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// countFields walks the object v and stores the integer value of each field for which
// dst returns a destination; it returns how many it stored. A value that is not a
// non-negative integer (null aside) is skipped and reported as errBadCount once the walk
// is done.
func countFields(v []byte, dst func(key, value []byte) *int64) (stored int, err error) {
	var bad error
	err = objectFields(v, func(k, val []byte) {
		d := dst(k, val)
		if d == nil {
			return
		}
		n, ok := jsonCount(val)
		switch {
		case ok:
			*d = n
			stored++
		case !isNull(val) && bad == nil:
			bad = errBadCount
		}
	})
	if err != nil {
		return stored, err
	}
	return stored, bad
}

// jsonCount decodes a non-negative JSON integer such as a token count.
func jsonCount(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
