package audio

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMeter: whatever the bytes, a Meter neither panics nor keeps more than MaxBuffer
// of them, and reads the same duration however the bytes are split into writes. A
// known duration is positive.
func FuzzMeter(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "tone*"))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// Seeds stay small: the fuzzer minimises every interesting input it finds.
		f.Add(data[:min(len(data), 2048)], uint16(7))
		f.Add(data[:min(len(data)/2, 4096)], uint16(300)) // cut short
		if len(data) > 600 {
			corrupt := append([]byte(nil), data...)
			for i := 40; i < len(corrupt); i += 97 {
				corrupt[i] ^= 0x5a
			}
			f.Add(corrupt[:min(len(corrupt), 4096)], uint16(1))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		whole := measure(data, len(data)+1)
		var m Meter
		step := int(chunk%512) + 1
		for rest := data; len(rest) > 0; {
			n := min(step, len(rest))
			m.Write(rest[:n])
			rest = rest[n:]
			if len(m.buf) > MaxBuffer {
				t.Fatalf("kept %d bytes, more than MaxBuffer", len(m.buf))
			}
		}
		split := m.Result()
		if whole != split {
			t.Fatalf("whole %+v, in writes of %d %+v", whole, step, split)
		}
		if whole.Known && !(whole.Seconds > 0) {
			t.Fatalf("known duration %v", whole.Seconds)
		}
		if !whole.Known && whole.Seconds != 0 {
			t.Fatalf("unknown duration with seconds %v", whole.Seconds)
		}
	})
}
