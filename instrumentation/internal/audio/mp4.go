package audio

import "encoding/binary"

// mp4Parser walks the boxes of an ISO base media file (MP4, M4A, 3GP, QuickTime),
// entering the few containers that matter and skipping the rest, mdat included,
// wherever the moov box is. The duration is the movie's (mvhd, edit lists applied),
// else the sound track's media duration (mdhd); for a fragmented file, whose moov says
// 0, the sum of the sound track's sample durations in its fragments, else the movie's
// fragment duration (mehd).
type mp4Parser struct {
	movieScale, movieDuration uint64 // mvhd
	fragmentDuration          uint64 // mehd, in the movie's time scale

	trak        mp4Track // the trak being read
	sound       mp4Track // the first sound trak
	hasSound    bool
	defaults    map[uint32]uint32 // trex: default sample duration per track
	fragTrack   uint32            // tfhd of the traf being read
	fragDefault uint32            // its default sample duration; 0: the trex's
	fragTicks   uint64            // sample durations summed over the sound track's fragments
	run         mp4Run            // the trun whose entries are being read
	inRun       bool
}

// mp4Track is what a trak said: its id, media time scale and duration, handler.
type mp4Track struct {
	id              uint32
	scale, duration uint64
	sound           bool
}

// mp4Run is the part of a trun whose sample entries are still to read.
type mp4Run struct {
	left      uint64 // entries
	entrySize int
	sound     bool
	trailing  int64 // bytes of the box after its entries
}

func newMP4() *mp4Parser { return &mp4Parser{defaults: make(map[uint32]uint32)} }

// maxMP4Leaf is the most of a leaf box read: tfhd with every optional field.
const maxMP4Leaf = 8 + 8 + 32

func (p *mp4Parser) parse(b []byte) (int64, int) {
	if p.inRun {
		return p.runEntries(b)
	}
	if len(b) < 8 {
		return 0, 8
	}
	size := uint64(binary.BigEndian.Uint32(b[0:4]))
	typ := string(b[4:8])
	head := uint64(8)
	switch size {
	case 1: // a 64-bit size follows the type
		if len(b) < 16 {
			return 0, 16
		}
		size, head = binary.BigEndian.Uint64(b[8:16]), 16
	case 0: // to the end of the file: nothing after it
		return 0, 0
	}
	if size < head || size > 1<<62 {
		return 0, 0
	}
	switch typ {
	case "moov", "mdia", "minf", "moof", "mvex", "edts":
		return int64(head), 8 // a container: its boxes come next
	case "trak":
		p.endTrak()
		p.trak = mp4Track{}
		return int64(head), 8
	case "traf":
		p.endTrak()
		p.fragTrack, p.fragDefault = 0, 0
		return int64(head), 8
	case "mvhd", "mdhd", "tkhd", "hdlr", "mehd", "trex", "tfhd", "trun":
	default:
		return int64(size), 8
	}
	want := int(min(size, maxMP4Leaf))
	if len(b) < want {
		return 0, want
	}
	body := b[head:want]
	if typ == "trun" {
		return p.runHeader(body, int64(head), size)
	}
	p.leaf(typ, body)
	return int64(size), 8
}

// endTrak keeps the trak just read if it is the first sound track.
func (p *mp4Parser) endTrak() {
	if p.trak.sound && !p.hasSound {
		p.sound, p.hasSound = p.trak, true
	}
	p.trak.sound = false
}

// leaf reads a box of interest; v is its body (after the size and type), possibly cut.
func (p *mp4Parser) leaf(typ string, v []byte) {
	if len(v) < 4 {
		return
	}
	version := v[0]
	flags := uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	v = v[4:]
	// timeAndDuration reads (time scale, duration) after the creation and modification
	// times of an mvhd or mdhd, whose sizes the version gives.
	timeAndDuration := func() (uint64, uint64, bool) {
		if version == 1 {
			if len(v) < 28 {
				return 0, 0, false
			}
			return uint64(binary.BigEndian.Uint32(v[16:20])), binary.BigEndian.Uint64(v[20:28]), true
		}
		if len(v) < 16 {
			return 0, 0, false
		}
		return uint64(binary.BigEndian.Uint32(v[8:12])), uint64(binary.BigEndian.Uint32(v[12:16])), true
	}
	switch typ {
	case "mvhd":
		p.movieScale, p.movieDuration, _ = timeAndDuration()
	case "mdhd":
		p.trak.scale, p.trak.duration, _ = timeAndDuration()
	case "tkhd":
		off := 8
		if version == 1 {
			off = 16
		}
		if len(v) >= off+4 {
			p.trak.id = binary.BigEndian.Uint32(v[off : off+4])
		}
	case "hdlr":
		if len(v) >= 8 && string(v[4:8]) == "soun" {
			p.trak.sound = true
		}
	case "mehd":
		switch {
		case version == 1 && len(v) >= 8:
			p.fragmentDuration = binary.BigEndian.Uint64(v[:8])
		case len(v) >= 4:
			p.fragmentDuration = uint64(binary.BigEndian.Uint32(v[:4]))
		}
	case "trex":
		if len(v) >= 12 {
			p.defaults[binary.BigEndian.Uint32(v[0:4])] = binary.BigEndian.Uint32(v[8:12])
		}
	case "tfhd":
		if len(v) < 4 {
			return
		}
		p.fragTrack = binary.BigEndian.Uint32(v[0:4])
		off := 4
		if flags&0x01 != 0 { // base data offset
			off += 8
		}
		if flags&0x02 != 0 { // sample description index
			off += 4
		}
		if flags&0x08 != 0 && len(v) >= off+4 {
			p.fragDefault = binary.BigEndian.Uint32(v[off : off+4])
		}
	}
}

// runHeader reads a trun box's header; the box is size bytes, its body (v) starts head
// bytes in. Sample durations of its own are read entry by entry as they stream past.
func (p *mp4Parser) runHeader(v []byte, head int64, size uint64) (int64, int) {
	if len(v) < 8 {
		return int64(size), 8
	}
	flags := uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	count := uint64(binary.BigEndian.Uint32(v[4:8]))
	sound := p.hasSound && p.fragTrack == p.sound.id
	if flags&0x100 == 0 { // every sample lasts the default
		d := p.fragDefault
		if d == 0 {
			d = p.defaults[p.fragTrack]
		}
		p.addFragment(count*uint64(d), sound)
		return int64(size), 8
	}
	start := head + 8
	if flags&0x01 != 0 { // data offset
		start += 4
	}
	if flags&0x04 != 0 { // first sample flags
		start += 4
	}
	entry := 0
	for bit := uint32(0x100); bit <= 0x800; bit <<= 1 {
		if flags&bit != 0 {
			entry += 4
		}
	}
	if uint64(start) > size {
		return int64(size), 8
	}
	count = min(count, (size-uint64(start))/uint64(entry))
	if count == 0 {
		return int64(size), 8
	}
	p.run = mp4Run{left: count, entrySize: entry, sound: sound, trailing: int64(size) - start - int64(count)*int64(entry)}
	p.inRun = true
	return start, entry
}

// runEntries sums the sample durations of the trun entries in b.
func (p *mp4Parser) runEntries(b []byte) (int64, int) {
	r := &p.run
	k := min(r.left, uint64(len(b)/r.entrySize))
	var ticks uint64
	for i := range k {
		ticks += uint64(binary.BigEndian.Uint32(b[i*uint64(r.entrySize):]))
	}
	p.addFragment(ticks, r.sound)
	r.left -= k
	drop := int64(k) * int64(r.entrySize)
	if r.left > 0 {
		return drop, r.entrySize
	}
	p.inRun = false
	return drop + r.trailing, 8
}

// addFragment counts ticks of fragment samples.
func (p *mp4Parser) addFragment(ticks uint64, sound bool) {
	if sound {
		p.fragTicks += ticks
	}
}

func (p *mp4Parser) duration(int64) (float64, bool) {
	p.endTrak()
	s := &p.sound
	switch {
	case p.movieScale > 0 && p.movieDuration > 0:
		// The presentation's length: edit lists applied (AAC's priming samples cut).
		return float64(p.movieDuration) / float64(p.movieScale), true
	case p.hasSound && s.scale > 0 && s.duration > 0:
		return float64(s.duration) / float64(s.scale), true
	case p.hasSound && s.scale > 0 && p.fragTicks > 0:
		return float64(p.fragTicks) / float64(s.scale), true
	case p.movieScale > 0 && p.fragmentDuration > 0:
		return float64(p.fragmentDuration) / float64(p.movieScale), true
	}
	return 0, false
}
