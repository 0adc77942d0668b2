package duckdbexporter

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Bounds on what one attribute value may put in a row: a runaway attribute (a whole
// prompt, a base64 image) must not bloat the file or the batch's memory.
const (
	maxStringBytes = 16 << 10 // per string value, typed column or JSON
	maxSliceItems  = 256      // per array or nested map value
	maxMapDepth    = 8        // nested maps and arrays
	// maxCount is the largest token count or quota value taken as real; larger ones are
	// corrupt (a trillion tokens in one call).
	maxCount = 1 << 40
	// maxSeconds bounds durations carried as attributes (resets, retry delays): a week.
	maxSeconds = 7 * 24 * 3600
	// maxCostUSD bounds the cost of one call.
	maxCostUSD = 1e6
)

// truncatedMark ends a string that was cut to maxStringBytes.
const truncatedMark = "…[truncated]"

// cleanString makes s valid UTF-8 and at most maxStringBytes long. It reports whether
// it had to change s.
func cleanString(s string) (string, bool) {
	changed := false
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		changed = true
	}
	if len(s) > maxStringBytes {
		cut := maxStringBytes - len(truncatedMark)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + truncatedMark
		changed = true
	}
	return s, changed
}

// valueFixes counts the repairs made while reading one batch's values, and the
// attributes attribute_limits left out.
type valueFixes struct {
	coerced, nulled, repaired      int64
	droppedByCount, droppedByBytes int64
}

// attrLimits bound the attributes JSON of one span, point or resource (attribute_limits).
type attrLimits struct {
	maxCount, maxBytes int
}

// str reads a string column: strings as they are (made valid and bounded), numbers and
// booleans in their text form; arrays, maps and bytes are not a string (NULL).
func (f *valueFixes) str(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s, changed := cleanString(v.Str())
		if changed {
			f.repaired++
		}
		return s, true
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		f.coerced++
		return v.AsString(), true
	}
	f.nulled++
	return "", false
}

// count reads a non-negative integer column (tokens, quota values) no larger than
// limit: integers; doubles with no fraction; decimal strings of either. Anything else,
// negative or too large, is NULL.
func (f *valueFixes) count(v pcommon.Value, limit int64) (int64, bool) {
	var n int64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n = v.Int()
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if d != math.Trunc(d) || d < 0 || d > float64(limit) {
			f.nulled++
			return 0, false
		}
		n = int64(d)
		f.coerced++
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			d, derr := strconv.ParseFloat(s, 64)
			if derr != nil || d != math.Trunc(d) || d < 0 || d > float64(limit) {
				f.nulled++
				return 0, false
			}
			i = int64(d)
		}
		n = i
		f.coerced++
	default:
		f.nulled++
		return 0, false
	}
	if n < 0 || n > limit {
		f.nulled++
		return 0, false
	}
	return n, true
}

// number reads a non-negative, finite DOUBLE column no larger than limit from a double,
// an integer or a decimal string.
func (f *valueFixes) number(v pcommon.Value, limit float64) (float64, bool) {
	var d float64
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		d = v.Double()
	case pcommon.ValueTypeInt:
		d = float64(v.Int())
	case pcommon.ValueTypeStr:
		p, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		if err != nil {
			f.nulled++
			return 0, false
		}
		d = p
		f.coerced++
	default:
		f.nulled++
		return 0, false
	}
	if math.IsNaN(d) || d < 0 || d > limit {
		f.nulled++
		return 0, false
	}
	return d, true
}

// boolean reads a BOOLEAN column from a bool, "true"/"false" or 0/1.
func (f *valueFixes) boolean(v pcommon.Value) (bool, bool) {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return v.Bool(), true
	case pcommon.ValueTypeStr:
		if b, err := strconv.ParseBool(strings.TrimSpace(v.Str())); err == nil {
			f.coerced++
			return b, true
		}
	case pcommon.ValueTypeInt:
		if i := v.Int(); i == 0 || i == 1 {
			f.coerced++
			return i == 1, true
		}
	}
	f.nulled++
	return false, false
}

// strings reads a VARCHAR[] column from an array of strings, or a single string as a
// one-element list.
func (f *valueFixes) strings(v pcommon.Value) ([]string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		n := min(s.Len(), maxSliceItems)
		out := make([]string, 0, n)
		for i := range n {
			e, ok := f.str(s.At(i))
			if !ok {
				continue
			}
			out = append(out, e)
		}
		if s.Len() > n {
			f.repaired++
		}
		return out, true
	case pcommon.ValueTypeStr:
		s, _ := f.str(v)
		f.coerced++
		return []string{s}, true
	}
	f.nulled++
	return nil, false
}

// appendAttributes appends m as a JSON object of at most lim.maxCount attributes and
// lim.maxBytes bytes: an attribute that would exceed either is left out, and counted.
// Strings are made valid and bounded. It is on the hot path of every row, hence no
// reflection.
func (f *valueFixes) appendAttributes(buf []byte, m pcommon.Map, lim attrLimits) []byte {
	start := len(buf)
	buf = append(buf, '{')
	n := 0
	for k, v := range m.All() {
		var ok bool
		if buf, ok = f.appendLimited(buf, start, n, k, v, lim); ok {
			n++
		}
	}
	return append(buf, '}')
}

// appendLimited appends `,"k":v` (no comma for the first of n) to the JSON object that
// starts at buf[start], unless that would take it past lim; ok reports whether it did.
// A left-out attribute counts as dropped, not as the repairs its value needed.
func (f *valueFixes) appendLimited(buf []byte, start, n int, k string, v pcommon.Value, lim attrLimits) (_ []byte, ok bool) {
	if n >= lim.maxCount {
		f.droppedByCount++
		return buf, false
	}
	mark, saved := len(buf), *f
	buf = f.appendMember(buf, n, k, v, 0)
	if len(buf)+1-start > lim.maxBytes { // +1: the closing brace
		*f = saved
		f.droppedByBytes++
		return buf[:mark], false
	}
	return buf, true
}

// appendJSONMap appends a nested map as a JSON object of at most maxSliceItems entries.
func (f *valueFixes) appendJSONMap(buf []byte, m pcommon.Map, depth int) []byte {
	buf = append(buf, '{')
	n := 0
	for k, v := range m.All() {
		if n == maxSliceItems {
			f.repaired++
			break
		}
		buf = f.appendMember(buf, n, k, v, depth)
		n++
	}
	return append(buf, '}')
}

// appendMember appends `"k":v` to a JSON object that holds n members so far.
func (f *valueFixes) appendMember(buf []byte, n int, k string, v pcommon.Value, depth int) []byte {
	if n > 0 {
		buf = append(buf, ',')
	}
	buf = f.appendJSONString(buf, k)
	buf = append(buf, ':')
	return f.appendJSONValue(buf, v, depth)
}

func (f *valueFixes) appendJSONValue(buf []byte, v pcommon.Value, depth int) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return f.appendJSONString(buf, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(buf, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if math.IsNaN(d) || math.IsInf(d, 0) {
			// JSON has no NaN or infinity; keep the text so nothing is silently lost.
			return strconv.AppendQuote(buf, strconv.FormatFloat(d, 'g', -1, 64))
		}
		return strconv.AppendFloat(buf, d, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(buf, v.Bool())
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		if len(b) > maxStringBytes/2 {
			b = b[:maxStringBytes/2]
			f.repaired++
		}
		buf = append(buf, '"')
		buf = hex.AppendEncode(buf, b)
		return append(buf, '"')
	case pcommon.ValueTypeMap:
		if depth >= maxMapDepth {
			f.repaired++
			return append(buf, "null"...)
		}
		return f.appendJSONMap(buf, v.Map(), depth+1)
	case pcommon.ValueTypeSlice:
		if depth >= maxMapDepth {
			f.repaired++
			return append(buf, "null"...)
		}
		s := v.Slice()
		n := min(s.Len(), maxSliceItems)
		if s.Len() > n {
			f.repaired++
		}
		buf = append(buf, '[')
		for i := range n {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = f.appendJSONValue(buf, s.At(i), depth+1)
		}
		return append(buf, ']')
	}
	return append(buf, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: made valid UTF-8, bounded, escaped.
func (f *valueFixes) appendJSONString(buf []byte, s string) []byte {
	if c, changed := cleanString(s); changed {
		s = c
		f.repaired++
	}
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
