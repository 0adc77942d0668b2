package audio

import "bytes"

// flacParser reads a native FLAC file: STREAMINFO's sample rate and total samples. When
// the encoder did not know the total (a piped stream writes 0), the frames are found by
// their sync code and header CRC, and the last frame's end is the duration.
type flacParser struct {
	state      uint8
	sampleRate uint32
	total      uint64 // samples per channel; 0: unknown
	fixedBlock uint32 // STREAMINFO's block size when min == max
	minFrame   int64  // STREAMINFO's smallest frame size; 0: unknown
	end        uint64 // the end of the last frame found, in samples
}

const (
	flacMagic uint8 = iota
	flacBlock
	flacFrames
)

// flacFrameHeader is the longest frame header: 4 bytes, a 7-byte coded number, 2 bytes of
// block size, 2 of sample rate and the CRC-8.
const flacFrameHeader = 16

func (f *flacParser) parse(b []byte) (int64, int) {
	switch f.state {
	case flacMagic:
		f.state = flacBlock
		return 4, 4
	case flacBlock:
		last, typ := b[0]&0x80 != 0, b[0]&0x7f
		size := int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
		if typ == 0 { // STREAMINFO
			if len(b) < 4+34 {
				return 0, 4 + 34
			}
			f.streamInfo(b[4 : 4+34])
			if f.total > 0 && f.sampleRate > 0 {
				return 0, 0
			}
		}
		if typ == 0x7f { // invalid block type
			return 0, 0
		}
		if last {
			f.state = flacFrames
			return 4 + size, flacFrameHeader
		}
		return 4 + size, 4
	}
	return f.frames(b)
}

// streamInfo reads the STREAMINFO block.
func (f *flacParser) streamInfo(s []byte) {
	minBlock := uint32(s[0])<<8 | uint32(s[1])
	maxBlock := uint32(s[2])<<8 | uint32(s[3])
	if minBlock == maxBlock {
		f.fixedBlock = minBlock
	}
	f.minFrame = int64(s[4])<<16 | int64(s[5])<<8 | int64(s[6])
	f.sampleRate = uint32(s[10])<<12 | uint32(s[11])<<4 | uint32(s[12])>>4
	f.total = uint64(s[13]&0x0f)<<32 | uint64(s[14])<<24 | uint64(s[15])<<16 | uint64(s[16])<<8 | uint64(s[17])
}

// frames looks for frame headers in b: a sync code whose header checks out.
func (f *flacParser) frames(b []byte) (int64, int) {
	i := 0
	for {
		j := bytes.IndexByte(b[i:], 0xff)
		if j < 0 {
			return int64(len(b)), flacFrameHeader
		}
		i += j
		if len(b)-i < flacFrameHeader {
			return int64(i), flacFrameHeader
		}
		n, ok := f.frameHeader(b[i : i+flacFrameHeader])
		if !ok {
			i++
			continue
		}
		i += max(n, int(min(f.minFrame, MaxBuffer)))
	}
}

// frameHeader checks the frame header at the start of h and notes where the frame ends
// in samples; n is the header's length.
func (f *flacParser) frameHeader(h []byte) (n int, ok bool) {
	if h[0] != 0xff || h[1]&0xfe != 0xf8 || h[3]&1 != 0 {
		return 0, false
	}
	variable := h[1]&1 != 0
	bsCode, rateCode := h[2]>>4, h[2]&0x0f
	if bsCode == 0 || rateCode == 0x0f || h[3]>>4 > 10 {
		return 0, false
	}
	num, k, ok := flacNumber(h[4:])
	if !ok {
		return 0, false
	}
	i := 4 + k
	var block uint32
	switch {
	case bsCode == 1:
		block = 192
	case bsCode <= 5:
		block = 576 << (bsCode - 2)
	case bsCode == 6:
		block, i = uint32(h[i])+1, i+1
	case bsCode == 7:
		block, i = (uint32(h[i])<<8|uint32(h[i+1]))+1, i+2
	default:
		block = 256 << (bsCode - 8)
	}
	switch rateCode {
	case 12:
		i++
	case 13, 14:
		i += 2
	}
	if i >= len(h) || crc8(h[:i]) != h[i] {
		return 0, false
	}
	start := num // the first sample of the frame
	if !variable {
		fixed := f.fixedBlock
		if fixed == 0 {
			fixed = block
		}
		start = num * uint64(fixed)
	}
	f.end = max(f.end, start+uint64(block))
	return i + 1, true
}

// flacNumber decodes the UTF-8-like coded frame or sample number at the start of b.
func flacNumber(b []byte) (v uint64, n int, ok bool) {
	c := b[0]
	switch {
	case c < 0x80:
		return uint64(c), 1, true
	case c&0xe0 == 0xc0:
		v, n = uint64(c&0x1f), 2
	case c&0xf0 == 0xe0:
		v, n = uint64(c&0x0f), 3
	case c&0xf8 == 0xf0:
		v, n = uint64(c&0x07), 4
	case c&0xfc == 0xf8:
		v, n = uint64(c&0x03), 5
	case c&0xfe == 0xfc:
		v, n = uint64(c&0x01), 6
	case c == 0xfe:
		v, n = 0, 7
	default:
		return 0, 0, false
	}
	for _, x := range b[1:n] {
		if x&0xc0 != 0x80 {
			return 0, 0, false
		}
		v = v<<6 | uint64(x&0x3f)
	}
	return v, n, true
}

// crc8 is FLAC's header CRC: polynomial x^8 + x^2 + x + 1, initial 0.
func crc8(b []byte) byte {
	var c byte
	for _, x := range b {
		c ^= x
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func (f *flacParser) duration(int64) (float64, bool) {
	if f.sampleRate == 0 {
		return 0, false
	}
	if f.total > 0 {
		return float64(f.total) / float64(f.sampleRate), true
	}
	return float64(f.end) / float64(f.sampleRate), f.end > 0
}
