package audio

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// golden is one generated file and the duration ffprobe reads from it, "N/A" where
// ffprobe cannot tell without decoding (a piped FLAC, a WebM without Duration).
type golden struct {
	name    string
	seconds float64 // NaN for N/A
}

func readGolden(t testing.TB) []golden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "durations.golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []golden
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		s := math.NaN()
		if v != "N/A" {
			if s, err = strconv.ParseFloat(v, 64); err != nil {
				t.Fatalf("golden %s: %v", name, err)
			}
		}
		out = append(out, golden{name, s})
	}
	return out
}

// generated is the length of the tone every file holds (generate.sh).
const generated = 2.5

// tolerance is how far a reading may be from ffprobe's: exact for containers that
// state the sample count, a frame or two for those measured by walking frames, where
// ffprobe's own figure includes encoder padding differently.
func tolerance(f Format) float64 {
	switch f {
	case WAV, FLAC, MP4:
		return 0.0005
	case Ogg:
		return 0.01 // ffprobe counts Opus's pre-skip in; the granule position does not
	}
	return 0.03
}

func measure(data []byte, chunk int) Result {
	var m Meter
	for len(data) > 0 {
		n := min(chunk, len(data))
		m.Write(data[:n])
		data = data[n:]
	}
	return m.Result()
}

func TestGoldenDurations(t *testing.T) {
	for _, g := range readGolden(t) {
		t.Run(g.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", g.name))
			if err != nil {
				t.Fatal(err)
			}
			// Whole, in network-sized pieces and byte by byte: the same answer.
			for _, chunk := range []int{len(data), 32 << 10, 1500, 7, 1} {
				r := measure(data, chunk)
				if strings.HasSuffix(g.name, ".aac") {
					if r.Known || r.Format != Unknown {
						t.Fatalf("ADTS AAC: %+v, want unknown", r)
					}
					continue
				}
				if !r.Known {
					t.Fatalf("chunk %d: duration unknown (format %q)", chunk, r.Format)
				}
				want, tol := g.seconds, tolerance(r.Format)
				if math.IsNaN(want) {
					want, tol = generated, 0.03
				}
				if math.Abs(r.Seconds-want) > tol {
					t.Fatalf("chunk %d: %s %.6f s, want %.6f ± %.4f", chunk, r.Format, r.Seconds, want, tol)
				}
				if chunk == len(data) {
					t.Logf("%-8s %.6f s (ffprobe %v)", r.Format, r.Seconds, g.seconds)
				}
			}
		})
	}
}
