// Package intern keeps one copy of the short strings that recur from call to call in
// provider requests and responses (model names, finish reasons), so that reading them
// from a body allocates nothing after the first time.
package intern

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// The table is bounded in strings and length: what a provider sends is not trusted
// to be few or short. Beyond the bounds strings are copied as they would be anyway.
const (
	maxStrings = 1024
	maxLen     = 256
)

var (
	// table is replaced, never changed, when a string is added, so that reads take
	// no lock: they are on every call, additions only at the first few.
	table  atomic.Pointer[map[string]string]
	adding sync.Mutex
)

// Bytes returns string(b), the table's copy when it has one.
func Bytes(b []byte) string {
	if m := table.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	if len(s) <= maxLen {
		add(s)
	}
	return s
}

func add(s string) {
	adding.Lock()
	defer adding.Unlock()
	var m map[string]string
	if old := table.Load(); old != nil {
		if _, ok := (*old)[s]; ok || len(*old) >= maxStrings {
			return
		}
		m = maps.Clone(*old)
	} else {
		m = make(map[string]string, 1)
	}
	m[s] = s
	table.Store(&m)
}

// JSON decodes the JSON string value v as jsonscan.String does, returning the
// table's copy of a string without escapes.
func JSON(v []byte) (string, error) {
	if raw, ok := jsonscan.Plain(v); ok {
		return Bytes(raw), nil
	}
	return jsonscan.String(v)
}
