package intern

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

func TestBytesKeepsOneCopy(t *testing.T) {
	first := Bytes([]byte("llama-3.1-8b-instant"))
	second := Bytes([]byte("llama-3.1-8b-instant"))
	if first != "llama-3.1-8b-instant" || second != first {
		t.Fatalf("Bytes = %q, %q", first, second)
	}
	if unsafe.StringData(first) != unsafe.StringData(second) {
		t.Error("a string seen before was copied again")
	}
	if n := testing.AllocsPerRun(100, func() { _ = Bytes([]byte("llama-3.1-8b-instant")) }); n != 0 {
		t.Errorf("Bytes of a kept string: %v allocations, want 0", n)
	}
}

func TestBytesBounds(t *testing.T) {
	long := strings.Repeat("m", maxLen+1)
	a, b := Bytes([]byte(long)), Bytes([]byte(long))
	if a != long || b != long {
		t.Fatal("a long string changed")
	}
	if unsafe.StringData(a) == unsafe.StringData(b) {
		t.Error("a string over maxLen was kept")
	}
	for i := range maxStrings + 10 {
		Bytes([]byte("model-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune(i))))
	}
	if n := len(*table.Load()); n > maxStrings {
		t.Errorf("table holds %d strings, bound %d", n, maxStrings)
	}
}

// TestJSONDecodesAsString: the table changes where a string lives, never its value.
func TestJSONDecodesAsString(t *testing.T) {
	for _, in := range []string{`"gemini-2.5-flash"`, `"stop"`, `""`, `null`, `"a\u00e9\n"`, "\"a\xffb\"", `"x\"y"`, `12`} {
		want, wantErr := jsonscan.String([]byte(in))
		for range 2 { // a miss, then a hit
			got, err := JSON([]byte(in))
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("JSON(%s) = %q, %v; want %q, %v", in, got, err, want, wantErr)
			}
		}
	}
}
