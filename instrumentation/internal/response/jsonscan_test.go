package response

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestObjectFields(t *testing.T) {
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
		{``, nil, errTruncated},
		{`{"a":1`, nil, errTruncated}, // the number may go on
		{`{"a":"unterminated`, nil, errTruncated},
		{`{"a":{"b":1}`, []string{`a={"b":1}`}, errTruncated},
		{`{"a"`, nil, errTruncated},
		{`[1]`, nil, errInvalid},
		{`{"a" 1}`, nil, errInvalid},
		{`{a:1}`, nil, errInvalid},
		{`{"a":1 "b":2}`, []string{`a=1`}, errInvalid},
		{`{"a":1} x`, []string{`a=1`}, errInvalid},
		{`{"a":,}`, nil, errInvalid},
	}
	for _, tc := range tests {
		var got []string
		err := objectFields([]byte(tc.in), func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
		if err != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("objectFields(%s) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		// Whatever the scanner accepts, encoding/json accepts too.
		if err == nil && !json.Valid([]byte(tc.in)) {
			t.Errorf("objectFields accepted invalid JSON %s", tc.in)
		}
	}
}

func TestJSONString(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `"a\u00e9\n"`: "aé\n", `null`: ""} {
		if got, err := jsonString([]byte(in)); err != nil || got != want {
			t.Errorf("jsonString(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := jsonString([]byte(`12`)); err == nil {
		t.Error("jsonString(12): no error")
	}
}

func TestJSONCount(t *testing.T) {
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
		if got, ok := jsonCount([]byte(tc.in)); got != tc.want || ok != tc.ok {
			t.Errorf("jsonCount(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzObjectFields checks the scanner never rejects valid JSON, and that each value it
// hands out is a valid JSON value when the whole object is valid.
func FuzzObjectFields(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"]\"}"}],"c":null}`, `{"x":"\\"}`, `[{"a":1},2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		i := skipSpace(b, 0)
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
			err = objectFields(b, func(_, v []byte) { check(v) })
		case '[':
			err = arrayElems(b, check)
		default:
			return
		}
		if valid && err != nil {
			t.Fatalf("valid JSON %q rejected: %v", b, err)
		}
	})
}
