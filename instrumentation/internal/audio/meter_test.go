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

// golden is one audio file, the duration of the audio ffmpeg decodes from it (what
// Groq bills) and ffprobe's container duration, "N/A" where ffprobe cannot tell without
// decoding (a piped FLAC, a WebM without Duration).
type golden struct {
	name    string
	seconds float64 // decoded
	probe   string
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
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		s, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatalf("golden %s: %v", f[0], err)
		}
		out = append(out, golden{f[0], s, f[2]})
	}
	return out
}

// tolerance is how far a reading may be from the decoded duration: a millisecond for
// containers that count samples (MP3 frames less the LAME tag's delay and padding, Ogg
// granule positions); a WebM's Duration element or last block may be off by an Opus
// packet; an MP4's edit list cuts AAC's priming samples, which the decoder keeps.
func tolerance(f Format) float64 {
	switch f {
	case Matroska:
		return 0.03
	case MP4:
		return 0.07
	}
	return 0.001
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
				if math.Abs(r.Seconds-want) > tol {
					t.Fatalf("chunk %d: %s %.6f s, want %.6f ± %.4f", chunk, r.Format, r.Seconds, want, tol)
				}
				if chunk == len(data) {
					t.Logf("%-8s %.6f s (decoded %.6f, ffprobe %s)", r.Format, r.Seconds, g.seconds, g.probe)
				}
			}
		})
	}
}

// TestGroqBilledDurations: for real recordings Groq transcribed, the meter reads the
// duration Groq reported (verbose_json "duration").
func TestGroqBilledDurations(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "speech_vercel_ai_sdk.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	// vercel/ai packages/groq/src/__fixtures__/groq-transcription-word-timestamps.json:
	// Groq's answer for this file.
	const groq = 2.507750144
	if r := measure(data, 1500); !r.Known || math.Abs(r.Seconds-groq) > 0.0001 {
		t.Fatalf("%+v, Groq said %v", r, groq)
	}
}
