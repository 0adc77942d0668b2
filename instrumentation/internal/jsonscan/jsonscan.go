// Package jsonscan walks JSON without decoding it: the fields of an object or the
// elements of an array, handed out as raw bytes, so that a request or response body
// yields the few values the telemetry needs while long content strings are skipped
// with IndexByte. It allocates nothing; only the values a caller decodes cost anything.
//
// Values handed out are delimited, not validated: a caller decoding one (String, Count,
// encoding/json) validates what it decodes. Whatever the walk accepts, encoding/json
// accepts too, and it never rejects valid JSON.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"unicode/utf8"
)

var (
	// ErrTruncated is returned when the input ends inside a value: more bytes may
	// complete it. A top-level number at the very end counts, since it may go on.
	ErrTruncated = errors.New("json: unexpected end of input")
	// ErrInvalid is returned when the input cannot be JSON whatever follows.
	ErrInvalid = errors.New("json: invalid syntax")
	// ErrBadCount is returned by CountFields for a count that is not a
	// non-negative integer.
	ErrBadCount = errors.New("json: token count is not a non-negative integer")
)

// Fields calls fn with the raw key (without quotes) and raw value of each field of
// the JSON object b, in order. Fields before a fault are handed out before its error
// is returned.
func Fields(b []byte, fn func(key, value []byte)) error {
	i := SkipSpace(b, 0)
	if i == len(b) {
		return ErrTruncated
	}
	if b[i] != '{' {
		return ErrInvalid
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return onlySpace(b, i+1)
	}
	for {
		if i >= len(b) {
			return ErrTruncated
		}
		if b[i] != '"' {
			return ErrInvalid
		}
		end, err := SkipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		i = SkipSpace(b, end)
		if i >= len(b) {
			return ErrTruncated
		}
		if b[i] != ':' {
			return ErrInvalid
		}
		i = SkipSpace(b, i+1)
		vend, err := SkipValue(b, i)
		if err != nil {
			return err
		}
		fn(key, b[i:vend])
		i = SkipSpace(b, vend)
		if i >= len(b) {
			return ErrTruncated
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return onlySpace(b, i+1)
		default:
			return ErrInvalid
		}
	}
}

// Elements calls fn with each raw element of the JSON array b, in order.
func Elements(b []byte, fn func(elem []byte)) error {
	i := SkipSpace(b, 0)
	if i == len(b) {
		return ErrTruncated
	}
	if b[i] != '[' {
		return ErrInvalid
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return onlySpace(b, i+1)
	}
	for {
		end, err := SkipValue(b, i)
		if err != nil {
			return err
		}
		fn(b[i:end])
		i = SkipSpace(b, end)
		if i >= len(b) {
			return ErrTruncated
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return onlySpace(b, i+1)
		default:
			return ErrInvalid
		}
	}
}

// Field returns the raw value of the first field named key of the JSON object v, or nil.
func Field(v []byte, key string) (found []byte) {
	_ = Fields(v, func(k, val []byte) {
		if found == nil && string(k) == key {
			found = val
		}
	})
	return found
}

func onlySpace(b []byte, i int) error {
	if SkipSpace(b, i) != len(b) {
		return ErrInvalid
	}
	return nil
}

// SkipString returns the index after the string starting at b[i] == '"'.
func SkipString(b []byte, i int) (int, error) {
	for j := i + 1; ; j += 2 { // a backslash escapes the byte after it
		j = StringStop(b, j)
		if j >= len(b) {
			return 0, ErrTruncated
		}
		if b[j] == '"' {
			return j + 1, nil
		}
	}
}

// StringStop returns the index of the first quote or backslash at or after i, the
// end of a string's plain bytes when i is inside it, or len(b) when there is none.
func StringStop(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	// Keys and most values are short: looking at 8 bytes at a time beats IndexByte's
	// setup for them; long content is left to IndexByte.
	for end := min(i+32, len(b)-7); i < end; i += 8 {
		if m := quoteOrBackslash(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	q := bytes.IndexByte(b[i:], '"')
	if q < 0 {
		q = len(b) - i
	}
	if e := bytes.IndexByte(b[i:i+q], '\\'); e >= 0 {
		return i + e
	}
	return i + q
}

const (
	ones      = 0x0101010101010101
	highs     = 0x8080808080808080
	quotes    = '"' * ones
	backslash = '\\' * ones
)

// quoteOrBackslash marks the high bit of the lowest byte of x, read little-endian,
// that is a quote or a backslash (bytes above it may be marked too), or returns 0.
func quoteOrBackslash(x uint64) uint64 {
	q, s := x^quotes, x^backslash // a zero byte where x has a quote, a backslash
	return ((q-ones)&^q | (s-ones)&^s) & highs
}

// SkipValue returns the index after the JSON value starting at b[i].
func SkipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, ErrTruncated
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				end, err := SkipString(b, j)
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
		return 0, ErrTruncated
	case ',', ':', '}', ']':
		return 0, ErrInvalid
	default:
		j := i
		for j < len(b) && !IsSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		if j == len(b) {
			return 0, ErrTruncated
		}
		return j, nil
	}
}

// SkipSpace returns the index of the first byte at or after i that is not JSON white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// IsNull reports whether the raw value v is null.
func IsNull(v []byte) bool { return string(v) == "null" }

// String decodes a JSON string value; null is "". A string of valid UTF-8 without
// escapes costs one allocation, the string itself; invalid UTF-8 is replaced as
// encoding/json does, so that no attribute carries bytes an OTLP exporter rejects.
func String(v []byte) (string, error) {
	if IsNull(v) {
		return "", nil
	}
	if raw, ok := Plain(v); ok {
		return string(raw), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

// Plain returns the text of the JSON string value v when it is its bytes as they are:
// valid UTF-8 without escapes, as most strings are. Otherwise ok is false and the
// string needs String.
func Plain(v []byte) (text []byte, ok bool) {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return v[1 : len(v)-1], true
	}
	return nil, false
}

// CountFields walks the object v and stores the integer value of each field for which
// dst returns a destination; it returns how many it stored. A value that is not a
// non-negative integer (null aside) is skipped and reported as ErrBadCount once the
// walk is done.
func CountFields(v []byte, dst func(key, value []byte) *int64) (stored int, err error) {
	var bad error
	err = Fields(v, func(k, val []byte) {
		d := dst(k, val)
		if d == nil {
			return
		}
		n, ok := Count(val)
		switch {
		case ok:
			*d = n
			stored++
		case !IsNull(val) && bad == nil:
			bad = ErrBadCount
		}
	})
	if err != nil {
		return stored, err
	}
	return stored, bad
}

// Count decodes a non-negative JSON integer such as a token count.
func Count(v []byte) (int64, bool) {
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
