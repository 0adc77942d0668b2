package audio

import (
	"bytes"
	"encoding/binary"
)

// oggParser walks the pages of an Ogg file. The first logical stream's identification
// header names the codec and its rate (Opus, Vorbis, FLAC or Speex); the granule
// position of its last page is where the audio ends, in samples (Opus: at 48 kHz, less
// the pre-skip).
type oggParser struct {
	serial  uint32
	codec   byte // 0 until the first page was read; see the ogg* codecs
	rate    uint32
	preSkip uint64
	granule int64 // of the stream's last page with one; -1 none yet
}

const (
	oggOpus byte = iota + 1
	oggVorbis
	oggFLAC
	oggSpeex
	oggOther
)

// oggPageHeader is the fixed part of a page header; the segment table follows.
const oggPageHeader = 27

// oggIDWindow is how much of the first packet identifies the codec.
const oggIDWindow = 64

func (o *oggParser) parse(b []byte) (int64, int) {
	if len(b) < oggPageHeader {
		return 0, oggPageHeader
	}
	if !bytes.HasPrefix(b, []byte("OggS")) {
		// Lost capture: skip to the next page.
		i := bytes.Index(b[1:], []byte("OggS"))
		if i < 0 {
			return int64(max(len(b)-3, 1)), oggPageHeader
		}
		return int64(i + 1), oggPageHeader
	}
	nseg := int(b[26])
	head := oggPageHeader + nseg
	if len(b) < head {
		return 0, head
	}
	var body int64
	for _, s := range b[oggPageHeader:head] {
		body += int64(s)
	}
	serial := binary.LittleEndian.Uint32(b[14:18])
	granule := int64(binary.LittleEndian.Uint64(b[6:14]))
	if o.codec == 0 {
		want := head + int(min(body, oggIDWindow))
		if len(b) < want {
			return 0, want
		}
		o.serial, o.granule = serial, -1
		o.identify(b[head:want])
	}
	if serial == o.serial && granule != -1 {
		o.granule = granule
	}
	return int64(head) + body, oggPageHeader
}

// identify reads the first packet of the first stream.
func (o *oggParser) identify(p []byte) {
	switch {
	case bytes.HasPrefix(p, []byte("OpusHead")) && len(p) >= 12:
		o.codec, o.rate = oggOpus, 48000
		o.preSkip = uint64(binary.LittleEndian.Uint16(p[10:12]))
	case bytes.HasPrefix(p, []byte("\x01vorbis")) && len(p) >= 16:
		o.codec, o.rate = oggVorbis, binary.LittleEndian.Uint32(p[12:16])
	case bytes.HasPrefix(p, []byte("\x7fFLAC")) && len(p) >= 13+4+13:
		// Mapping header, "fLaC", then the STREAMINFO block: its rate is 10 bytes in.
		s := p[13+4:]
		o.codec, o.rate = oggFLAC, uint32(s[10])<<12|uint32(s[11])<<4|uint32(s[12])>>4
	case bytes.HasPrefix(p, []byte("Speex   ")) && len(p) >= 40:
		o.codec, o.rate = oggSpeex, binary.LittleEndian.Uint32(p[36:40])
	default:
		o.codec = oggOther
	}
}

func (o *oggParser) duration(int64) (float64, bool) {
	if o.codec == oggOther || o.rate == 0 || o.granule <= 0 {
		return 0, false
	}
	samples := uint64(o.granule)
	if o.codec == oggOpus {
		if samples <= o.preSkip {
			return 0, false
		}
		samples -= o.preSkip
	}
	return float64(samples) / float64(o.rate), true
}
