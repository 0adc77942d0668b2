package audio

import "encoding/binary"

// wavParser reads a RIFF WAVE file (or RF64): the fmt chunk's rate and the data chunk's
// size. The duration is the data actually sent, up to the declared size, divided by the
// byte rate; a streamed WAV whose data size says 0 or 0xFFFFFFFF counts what was sent.
type wavParser struct {
	rf64  bool
	state uint8
	pos   int64 // file offset of the bytes parse is given

	format              uint16 // WAVE_FORMAT_*: 1 PCM, 3 float, 0xFFFE extensible, ...
	sampleRate          uint32
	byteRate            uint32
	blockAlign          uint16
	hasFmt              bool
	factSamples         uint64 // compressed formats: samples per channel
	ds64Data            uint64 // RF64: the data size the data chunk's header cannot hold
	dataStart, dataSize int64  // dataSize < 0: to the end of the file
	hasData             bool
}

const (
	wavHeader uint8 = iota
	wavChunk
)

// maxFmtChunk is the longest fmt chunk read whole (WAVE_FORMAT_EXTENSIBLE is 40 bytes).
const maxFmtChunk = 64

func newWAV(rf64 bool) *wavParser { return &wavParser{rf64: rf64} }

func (w *wavParser) parse(b []byte) (int64, int) {
	switch w.state {
	case wavHeader:
		w.state, w.pos = wavChunk, 12
		return 12, 8
	}
	id := string(b[:4])
	size := int64(binary.LittleEndian.Uint32(b[4:8]))
	body := size + size&1 // chunks are padded to an even length
	switch id {
	case "fmt ", "fact", "ds64":
		want := 8 + int(min(size, maxFmtChunk))
		if len(b) < want {
			return 0, want
		}
		w.chunk(id, b[8:want])
	case "data":
		w.hasData, w.dataStart, w.dataSize = true, w.pos+8, size
		switch {
		case w.rf64 && size == 0xFFFFFFFF && w.ds64Data > 0:
			w.dataSize = int64(min(w.ds64Data, 1<<62))
		case size == 0 || size == 0xFFFFFFFF:
			w.dataSize = -1 // written as a stream: the data runs to the end
		}
		return 0, 0 // what follows the data says nothing about the duration
	}
	w.pos += 8 + body
	return 8 + body, 8
}

// chunk reads a fmt, fact or ds64 chunk's body.
func (w *wavParser) chunk(id string, c []byte) {
	switch id {
	case "fmt ":
		if len(c) >= 16 {
			w.format = binary.LittleEndian.Uint16(c[0:2])
			w.sampleRate = binary.LittleEndian.Uint32(c[4:8])
			w.byteRate = binary.LittleEndian.Uint32(c[8:12])
			w.blockAlign = binary.LittleEndian.Uint16(c[12:14])
			w.hasFmt = true
		}
	case "fact":
		if len(c) >= 4 {
			w.factSamples = uint64(binary.LittleEndian.Uint32(c[0:4]))
		}
	case "ds64":
		if len(c) >= 24 {
			w.ds64Data = binary.LittleEndian.Uint64(c[8:16])
			w.factSamples = max(w.factSamples, binary.LittleEndian.Uint64(c[16:24]))
		}
	}
}

func (w *wavParser) duration(total int64) (float64, bool) {
	if !w.hasFmt || !w.hasData {
		return 0, false
	}
	n := max(total-w.dataStart, 0)
	if w.dataSize >= 0 {
		n = min(n, w.dataSize)
	}
	rate := float64(w.byteRate)
	switch w.format {
	case 1, 3, 6, 7, 0xFFFE: // PCM, float, A-law, mu-law, extensible: a fixed block per sample
		if w.blockAlign > 0 && w.sampleRate > 0 {
			rate = float64(w.blockAlign) * float64(w.sampleRate) // exact where byteRate may be rounded
		}
	default:
		// A compressed format: its fact chunk counts the samples, when the data arrived whole.
		if w.factSamples > 0 && w.sampleRate > 0 && (w.dataSize < 0 || n == w.dataSize) {
			return float64(w.factSamples) / float64(w.sampleRate), true
		}
	}
	if rate <= 0 {
		return 0, false
	}
	return float64(n) / rate, true
}
