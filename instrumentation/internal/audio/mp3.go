package audio

import "bytes"

// mp3Parser walks the MPEG audio frames of an MP3 file, counting their samples: exact
// for constant and variable bit rates alike, and for a file cut short. A Xing, Info or
// VBRI frame is the encoder's tag, not audio; the encoder delay and padding of a LAME
// tag are not audio either (decoders drop them, and Groq bills what is left: 36.7125 s
// of a file whose frames hold 36.744 s); a free-format stream (no bit rate in its
// headers) is measured by the tag's frame count when there is one.
type mp3Parser struct {
	first      *mpegFrame // the first audio frame: later frames must match it
	samples    uint64
	tagFrames  uint64 // frames a Xing or VBRI tag counts
	sampleRate uint32
	// gapless is the encoder delay plus padding a LAME tag declares: samples a decoder
	// drops, as Groq's measure does.
	gapless uint64
}

// mpegFrame is what an MPEG audio frame header says.
type mpegFrame struct {
	mpeg1      bool // MPEG-1; else MPEG-2 or 2.5
	version    byte // header bits: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
	layer      byte // 1, 2 or 3
	mono       bool
	sampleRate uint32
	samples    uint32 // per frame
	length     int    // bytes, header included; 0 for free format
}

var (
	mpegRates     = [4][3]uint32{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
	mpeg1Bitrates = [3][15]uint32{
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	}
	mpeg2Bitrates = [3][15]uint32{
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	}
)

// mp3Header decodes the frame header at the start of b, or returns nil.
func mp3Header(b []byte) *mpegFrame {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return nil
	}
	version, layerBits := (b[1]>>3)&3, (b[1]>>1)&3
	bitrateIdx, rateIdx := b[2]>>4, (b[2]>>2)&3
	if version == 1 || layerBits == 0 || bitrateIdx == 15 || rateIdx == 3 || b[3]&3 == 2 {
		return nil // reserved values (emphasis 2 included)
	}
	f := &mpegFrame{version: version, mpeg1: version == 3, layer: 4 - layerBits, mono: b[3]>>6 == 3}
	f.sampleRate = mpegRates[version][rateIdx]
	padding := int(b[2]>>1) & 1
	var kbps uint32
	if f.mpeg1 {
		kbps = mpeg1Bitrates[f.layer-1][bitrateIdx]
	} else {
		kbps = mpeg2Bitrates[f.layer-1][bitrateIdx]
	}
	switch {
	case f.layer == 1:
		f.samples = 384
		f.length = (int(12*kbps*1000/f.sampleRate) + padding) * 4
	case f.layer == 2 || f.mpeg1:
		f.samples = 1152
		f.length = int(144*kbps*1000/f.sampleRate) + padding
	default: // layer 3, MPEG-2 and 2.5
		f.samples = 576
		f.length = int(72*kbps*1000/f.sampleRate) + padding
	}
	if kbps == 0 {
		f.length = 0
	}
	return f
}

// matches reports whether f can follow the first frame g in the same stream.
func (f *mpegFrame) matches(g *mpegFrame) bool {
	return f.version == g.version && f.layer == g.layer && f.sampleRate == g.sampleRate
}

// mp3TagWindow is how much of the first frame is read to find a Xing or VBRI tag.
const mp3TagWindow = 4 + 32 + 120 + 24

func (m *mp3Parser) parse(b []byte) (int64, int) {
	f := mp3Header(b)
	if f == nil || (m.first != nil && !f.matches(m.first)) {
		return m.lost(b)
	}
	if m.first == nil {
		if want := min(mp3TagWindow, max(f.length, 4)); len(b) < want {
			return 0, want
		}
		m.first, m.sampleRate = f, f.sampleRate
		if frames, gapless, ok := mp3Tag(b[:min(len(b), mp3TagWindow, max(f.length, 4))], f); ok {
			m.tagFrames, m.gapless = frames, gapless
			if f.length == 0 {
				return 0, 0 // free format: the tag's count is all there is
			}
			return int64(f.length), 4
		}
	}
	if f.length == 0 {
		return 0, 0 // free format without a tag: frame lengths are unknown
	}
	m.samples += uint64(f.samples)
	return int64(f.length), 4
}

// lost handles bytes that are not the frame header expected: a tag at the end of the
// file ends the audio; anything else is skipped to the next header that fits the stream.
func (m *mp3Parser) lost(b []byte) (int64, int) {
	switch {
	case bytes.HasPrefix(b, []byte("TAG")), bytes.HasPrefix(b, []byte("APET")), bytes.HasPrefix(b, []byte("LYRI")):
		return 0, 0
	case bytes.HasPrefix(b, []byte("ID3")):
		if len(b) < 10 {
			return 0, 10
		}
		size := int64(b[6]&0x7f)<<21 | int64(b[7]&0x7f)<<14 | int64(b[8]&0x7f)<<7 | int64(b[9]&0x7f)
		return 10 + size, 4
	}
	for i := 1; ; {
		j := bytes.IndexByte(b[i:], 0xff)
		if j < 0 {
			return int64(len(b)), 4
		}
		i += j
		if len(b)-i < 4 {
			return int64(i), 4
		}
		if f := mp3Header(b[i:]); f != nil && (m.first == nil || f.matches(m.first)) {
			return int64(i), 4
		}
		i++
	}
}

// mp3Tag reads a Xing/Info or VBRI tag in the first frame f (b starts at its header) and
// returns the frame count it gives and the samples of encoder delay and padding its
// LAME extension declares.
func mp3Tag(b []byte, f *mpegFrame) (frames, gapless uint64, ok bool) {
	side := 32 // the side information after the header (layer 3)
	switch {
	case f.mpeg1 && f.mono:
		side = 17
	case !f.mpeg1 && f.mono:
		side = 9
	case !f.mpeg1:
		side = 17
	}
	be32 := func(p []byte) uint64 { return uint64(p[0])<<24 | uint64(p[1])<<16 | uint64(p[2])<<8 | uint64(p[3]) }
	if x := 4 + side; len(b) >= x+8 {
		if tag := string(b[x : x+4]); tag == "Xing" || tag == "Info" {
			flags := b[x+7]
			at := x + 8
			if flags&1 != 0 && len(b) >= at+4 {
				frames = be32(b[at:])
			}
			for _, field := range []struct {
				bit  byte
				size int
			}{{1, 4}, {2, 4}, {4, 100}, {8, 4}} { // frames, bytes, table of contents, quality
				if flags&field.bit != 0 {
					at += field.size
				}
			}
			// The LAME extension: a 9-byte encoder name, then at 21 the delay and
			// padding, 12 bits each.
			if len(b) >= at+24 {
				if name := string(b[at : at+4]); name == "LAME" || name == "Lavf" || name == "Lavc" {
					d := b[at+21 : at+24]
					delay := uint64(d[0])<<4 | uint64(d[1])>>4
					padding := uint64(d[1]&0x0f)<<8 | uint64(d[2])
					gapless = delay + padding
				}
			}
			return frames, gapless, true
		}
	}
	if v := 4 + 32; len(b) >= v+18 && string(b[v:v+4]) == "VBRI" {
		return be32(b[v+14:]), 0, true
	}
	return 0, 0, false
}

func (m *mp3Parser) duration(int64) (float64, bool) {
	if m.sampleRate == 0 {
		return 0, false
	}
	samples := m.samples
	if samples == 0 && m.tagFrames > 0 && m.first != nil {
		samples = m.tagFrames * uint64(m.first.samples)
	}
	if m.gapless < samples {
		samples -= m.gapless
	}
	return float64(samples) / float64(m.sampleRate), samples > 0
}
