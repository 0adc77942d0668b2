package audio

import (
	"encoding/binary"
	"math"
)

// matroskaParser walks the EBML elements of a WebM or Matroska file without building
// their tree: master elements are entered, the few values needed are read, everything
// else is skipped. The duration is the Info element's Duration when the muxer wrote
// one; browsers' MediaRecorder writes none (and elements of unknown size), so then it is
// where the audio track's last block ends: its cluster's timestamp plus its own, plus
// the length of its Opus packet.
type matroskaParser struct {
	state   uint8
	idLen   int
	sizeLen int

	scale     uint64  // TimecodeScale, ns per tick
	infoTicks float64 // Info Duration, in ticks
	cluster   uint64  // the current cluster's timestamp, ticks
	track     uint64  // the audio track's number; 0 until known
	entry     trackEntry
	opus      bool

	endNS              float64 // where the last block seen ends
	lastStart, prevGap float64 // ns; for codecs whose packets do not say their length
	blocks             int
	groupBlock         float64 // start of the Block in the current BlockGroup; -1 none
}

// trackEntry is what a TrackEntry element said so far.
type trackEntry struct {
	number, typ uint64
	codec       string
}

// Element IDs, with their length marker bits.
const (
	idEBML            = 0x1A45DFA3
	idSegment         = 0x18538067
	idInfo            = 0x1549A966
	idTimecodeScale   = 0x2AD7B1
	idDuration        = 0x4489
	idTracks          = 0x1654AE6B
	idTrackEntry      = 0xAE
	idTrackNumber     = 0xD7
	idTrackType       = 0x83
	idCodecID         = 0x86
	idCluster         = 0x1F43B675
	idClusterTime     = 0xE7
	idSimpleBlock     = 0xA3
	idBlockGroup      = 0xA0
	idBlock           = 0xA1
	idBlockDuration   = 0x9B
	matroskaAudioType = 2
)

const (
	mkvID uint8 = iota
	mkvSize
	mkvBody
)

// blockHeadWindow is how much of a block is read: track number, timestamp, flags and
// the first bytes of its frame (Opus: the TOC byte and frame count).
const blockHeadWindow = 16

func newMatroska() *matroskaParser {
	return &matroskaParser{scale: 1_000_000, groupBlock: -1}
}

// vintLen is the length of an EBML variable-size integer from its first byte; 0 if invalid.
func vintLen(c byte) int {
	if c == 0 {
		return 0
	}
	n := 1
	for c&0x80 == 0 {
		c <<= 1
		n++
	}
	return n
}

func (m *matroskaParser) parse(b []byte) (int64, int) {
	for {
		switch m.state {
		case mkvID:
			m.idLen = vintLen(b[0])
			if m.idLen == 0 || m.idLen > 4 {
				return 0, 0
			}
			m.state = mkvSize
			if len(b) < m.idLen+1 {
				return 0, m.idLen + 1
			}
		case mkvSize:
			m.sizeLen = vintLen(b[m.idLen])
			if m.sizeLen == 0 {
				return 0, 0
			}
			m.state = mkvBody
			if len(b) < m.idLen+m.sizeLen {
				return 0, m.idLen + m.sizeLen
			}
		case mkvBody:
			m.state = mkvID
			return m.element(b)
		}
	}
}

// element handles the element whose header starts b.
func (m *matroskaParser) element(b []byte) (int64, int) {
	var id uint32
	for _, c := range b[:m.idLen] {
		id = id<<8 | uint32(c)
	}
	s := b[m.idLen : m.idLen+m.sizeLen]
	size := uint64(s[0] & (0xff >> m.sizeLen))
	unknown := size == uint64(0xff>>m.sizeLen)
	for _, c := range s[1:] {
		size = size<<8 | uint64(c)
		unknown = unknown && c == 0xff
	}
	head := int64(m.idLen + m.sizeLen)
	switch id {
	case idSegment, idInfo, idTracks, idCluster, idBlockGroup:
		return head, 1 // a master element: its children come next
	case idTrackEntry:
		m.entry = trackEntry{}
		return head, 1
	}
	if unknown || size > 1<<56 {
		return 0, 0 // only master elements may leave their size open
	}
	want := 0
	switch id {
	case idTimecodeScale, idDuration, idTrackNumber, idTrackType, idClusterTime, idBlockDuration:
		if size > 8 {
			return head + int64(size), 1
		}
		want = int(size)
	case idCodecID:
		want = int(min(size, 32))
	case idSimpleBlock, idBlock:
		want = int(min(size, blockHeadWindow))
	default:
		return head + int64(size), 1
	}
	if len(b) < int(head)+want {
		m.state = mkvBody // come back to this element with more bytes
		return 0, int(head) + want
	}
	v := b[head : int(head)+want]
	if !m.value(id, v, size) {
		return 0, 0
	}
	return head + int64(size), 1
}

// value reads one value element; false ends parsing (the duration is known).
func (m *matroskaParser) value(id uint32, v []byte, size uint64) bool {
	switch id {
	case idTimecodeScale:
		if n := beUint(v); n > 0 {
			m.scale = n
		}
	case idDuration:
		switch len(v) {
		case 4:
			m.infoTicks = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
		case 8:
			m.infoTicks = math.Float64frombits(binary.BigEndian.Uint64(v))
		}
		if m.infoTicks > 0 && !math.IsInf(m.infoTicks, 0) {
			return false // the muxer's word: nothing else is needed
		}
		m.infoTicks = 0
	case idTrackNumber:
		m.entry.number = beUint(v)
		m.noteTrack()
	case idTrackType:
		m.entry.typ = beUint(v)
		m.noteTrack()
	case idCodecID:
		m.entry.codec = string(v)
		m.noteTrack()
	case idClusterTime:
		m.cluster = beUint(v)
	case idBlockDuration:
		if m.groupBlock >= 0 {
			m.endNS = max(m.endNS, m.groupBlock+float64(beUint(v))*float64(m.scale))
		}
	case idSimpleBlock, idBlock:
		m.block(v, id == idBlock)
	}
	return true
}

// noteTrack takes the TrackEntry being read as the audio track once it says it is one.
func (m *matroskaParser) noteTrack() {
	e := &m.entry
	if e.typ != matroskaAudioType || e.number == 0 || (m.track != 0 && m.track != e.number) {
		return
	}
	m.track = e.number
	m.opus = e.codec == "A_OPUS"
}

// block notes where a SimpleBlock or Block of the audio track ends.
func (m *matroskaParser) block(v []byte, inGroup bool) {
	if len(v) == 0 {
		return
	}
	n := vintLen(v[0])
	if n == 0 || n > 8 || len(v) < n+3 {
		return
	}
	track := uint64(v[0] & (0xff >> n))
	for _, c := range v[1:n] {
		track = track<<8 | uint64(c)
	}
	if m.track != 0 && track != m.track {
		return
	}
	rel := int64(int16(binary.BigEndian.Uint16(v[n : n+2])))
	start := (float64(m.cluster) + float64(rel)) * float64(m.scale)
	if inGroup {
		m.groupBlock = start
	}
	data := v[n+3:]
	if lacing := v[n+2] >> 1 & 3; lacing != 0 {
		data = nil // laced frames: the first frame's bytes follow the lace sizes
	}
	if m.blocks > 0 && start > m.lastStart {
		m.prevGap = start - m.lastStart
	}
	m.blocks++
	m.lastStart = max(m.lastStart, start)
	length := m.prevGap // a guess for codecs that do not say: the spacing of blocks
	if m.opus && len(data) > 0 {
		if d, ok := opusPacketNS(data); ok {
			length = d
		}
	}
	m.endNS = max(m.endNS, start+length)
}

// beUint decodes a big-endian unsigned integer of up to 8 bytes.
func beUint(v []byte) uint64 {
	var n uint64
	for _, c := range v {
		n = n<<8 | uint64(c)
	}
	return n
}

// opusPacketNS is the length of an Opus packet from its TOC byte (RFC 6716, 3.1).
func opusPacketNS(p []byte) (float64, bool) {
	toc := p[0]
	config := toc >> 3
	var frameUS float64
	switch {
	case config < 12:
		frameUS = [4]float64{10000, 20000, 40000, 60000}[config%4]
	case config < 16:
		frameUS = [2]float64{10000, 20000}[config%2]
	default:
		frameUS = [4]float64{2500, 5000, 10000, 20000}[config%4]
	}
	frames := 1
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0, false
		}
		frames = int(p[1] & 0x3f)
	}
	return frameUS * 1000 * float64(frames), frames > 0
}

func (m *matroskaParser) duration(int64) (float64, bool) {
	if m.infoTicks > 0 {
		return m.infoTicks * float64(m.scale) / 1e9, true
	}
	if m.endNS <= 0 {
		return 0, false
	}
	return m.endNS / 1e9, true
}
