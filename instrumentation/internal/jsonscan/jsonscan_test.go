package jsonscan

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFields(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // key=value
		wantErr error
	}{
		{`{}`, nil, nil},
		{` { "a" : 1 , "b":"x\"}" ,"c":{"d":[1,{"e":"]"}]},"f":null,"g":true}  `,
			[]string{`a=1`, `b="x\"}"`, `c={"d":[1,{"e":"]"}]}`, `f=null`, `g=true`}, nil},
		{`{"a":"ends with backslash \\","b":2}`, []string{`a="ends with backslash \\"`, `b=2`}, nil},
		{`{"a":"x\\\"y"}`, []string{`a="x\\\"y"`}, nil},
		{``, nil, ErrTruncated},
		{`{"a":1`, nil, ErrTruncated}, // the number may go on
		{`{"a":"unterminated`, nil, ErrTruncated},
		{`{"a":{"b":1}`, []string{`a={"b":1}`}, ErrTruncated},
		{`{"a"`, nil, ErrTruncated},
		{`[1]`, nil, ErrInvalid},
		{`{"a" 1}`, nil, ErrInvalid},
		{`{a:1}`, nil, ErrInvalid},
		{`{"a":1 "b":2}`, []string{`a=1`}, ErrInvalid},
		{`{"a":1} x`, []string{`a=1`}, ErrInvalid},
		{`{"a":,}`, nil, ErrInvalid},
	}
	for _, tc := range tests {
		var got []string
		err := Fields([]byte(tc.in), func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
		if err != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Fields(%s) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		// Whatever the scanner accepts, encoding/json accepts too.
		if err == nil && !json.Valid([]byte(tc.in)) {
			t.Errorf("Fields accepted invalid JSON %s", tc.in)
		}
	}
}

func TestString(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `"a\u00e9\n"`: "aé\n", `null`: "", "\"a\xffb\"": "a\ufffdb"} {
		if got, err := String([]byte(in)); err != nil || got != want {
			t.Errorf("String(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := String([]byte(`12`)); err == nil {
		t.Error("String(12): no error")
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		in, text string
		ok       bool
	}{
		{`"abc"`, "abc", true},
		{`""`, "", true},
		{`"aé"`, "aé", true},
		{`"a\nb"`, "", false},     // an escape: String decodes it
		{"\"a\xffb\"", "", false}, // invalid UTF-8: String repairs it
		{`null`, "", false},
		{`12`, "", false},
	}
	for _, tc := range tests {
		text, ok := Plain([]byte(tc.in))
		if ok != tc.ok || string(text) != tc.text {
			t.Errorf("Plain(%s) = %q, %v; want %q, %v", tc.in, text, ok, tc.text, tc.ok)
		}
	}
}

func TestStringStop(t *testing.T) {
	long := strings.Repeat("x", 40) // past the plain loop, into IndexByte
	tests := []struct {
		in   string
		from int
		want int
	}{
		{`abc"`, 0, 3},
		{`ab\"c"`, 0, 2},
		{``, 0, 0},
		{`abc`, 0, 3},
		{long + `"`, 0, 40},
		{long + `\"`, 0, 40},
		{long + `"\`, 0, 40},
		{long, 0, 40},
		{long + `x\`, 3, 41},
		{`"` + long + `"`, 1, 41},
	}
	for _, tc := range tests {
		if got := StringStop([]byte(tc.in), tc.from); got != tc.want {
			t.Errorf("StringStop(%q, %d) = %d, want %d", tc.in, tc.from, got, tc.want)
		}
	}
	// Every length and start, with the stop at every place a word boundary can put
	// it, and bytes around it that look alike in some bits (0x80+, 0x00, '!', '#').
	r := rand.New(rand.NewSource(1))
	alphabet := []byte{'a', 0x00, 0x80, 0xff, '!', '#', '[', ']', 0xa2, 0xdc}
	for n := range 80 {
		b := make([]byte, n)
		for trial := range 20 {
			for k := range b {
				b[k] = alphabet[r.Intn(len(alphabet))]
			}
			if trial > 0 && n > 0 {
				b[r.Intn(n)] = `"\`[trial%2]
			}
			for from := 0; from <= n; from++ {
				want := from
				for want < n && b[want] != '"' && b[want] != '\\' {
					want++
				}
				if got := StringStop(b, from); got != want {
					t.Fatalf("StringStop(%q, %d) = %d, want %d", b, from, got, want)
				}
			}
		}
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1058", 1058, true}, {"999999999999999999", 999999999999999999, true},
		{"", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"1e3", 0, false}, {`"7"`, 0, false},
		{strings.Repeat("9", 19), 0, false},
	}
	for _, tc := range tests {
		if got, ok := Count([]byte(tc.in)); got != tc.want || ok != tc.ok {
			t.Errorf("Count(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzScan is the scanner's fuzzer, for request and response bodies alike. Against
// encoding/json: valid JSON is never rejected; each value handed out of a valid document
// is valid JSON itself; a top-level field's value is the bytes encoding/json finds under
// that key; and what String and Count decode from it is what encoding/json decodes.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":[1,{"b":"]\"}"}],"c":null}`, `{"x":"\\"}`, `[{"a":1},2]`,
		`{"model":"llama-3.1-8b-instant","stream":true}`,
		`{"messages":[{"content":"\"}"}],"model":"m\\"}`,
		`{"a":[{"b":"}"}],"stream":false,"model":"x"}`,
		`{"usage":{"prompt_tokens":18,"completion_tokens":73,"total_tokens":91}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		i := SkipSpace(b, 0)
		if i == len(b) {
			return
		}
		check := func(v []byte) {
			if valid && !json.Valid(v) {
				t.Fatalf("value %q of valid %q is not valid", v, b)
			}
		}
		var err error
		switch b[i] {
		case '{':
			fields := map[string][]byte{}
			seen := map[string]int{}
			err = Fields(b, func(k, v []byte) {
				check(v)
				fields[string(k)] = v
				seen[string(k)]++
			})
			if valid && err == nil {
				compareFields(t, b, fields, seen)
			}
		case '[':
			err = Elements(b, check)
		default:
			return
		}
		if valid && err != nil {
			t.Fatalf("valid JSON %q rejected: %v", b, err)
		}
	})
}

// compareFields checks the top-level fields of the valid object b, as Fields handed
// them out, against encoding/json. Keys that repeat, hold escapes or are not UTF-8 are
// left out: encoding/json keeps the last of a repeated key and unescapes and repairs
// keys, by design.
func compareFields(t *testing.T, b []byte, fields map[string][]byte, seen map[string]int) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	for k, v := range fields {
		if seen[k] > 1 || strings.Contains(k, "\\") || !utf8.ValidString(k) {
			continue
		}
		if want, ok := doc[k]; !ok || !bytes.Equal(want, v) {
			t.Fatalf("field %q of %q = %q; encoding/json says %q", k, b, v, want)
		}
		if s, err := String(v); err == nil && v[0] == '"' {
			var want string
			if json.Unmarshal(v, &want) != nil || s != want {
				t.Fatalf("String(%q) = %q; encoding/json says %q", v, s, want)
			}
		}
		if n, ok := Count(v); ok {
			var want int64
			if json.Unmarshal(v, &want) != nil || n != want {
				t.Fatalf("Count(%q) = %d; encoding/json says %d", v, n, want)
			}
		}
	}
}
