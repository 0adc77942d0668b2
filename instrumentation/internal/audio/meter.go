// Package audio measures the duration of an audio file from its bytes as they stream
// past, without decoding it and without keeping it: a speech-to-text upload of 25 MB goes
// to the provider unchanged while a Meter reads the container's headers, page headers or
// frame headers and skips everything else.
//
// The formats are those Groq's speech-to-text takes: WAV, FLAC, MP3, Ogg (Opus, Vorbis,
// FLAC, Speex), WebM/Matroska and MP4/M4A. A Meter holds at most MaxBuffer bytes; a
// file it cannot read (another format, corrupt or cut short in its headers) has an
// unknown duration, never a duration of zero.
package audio

// MaxBuffer bounds the bytes a Meter keeps at once: the longest header it reads whole.
const MaxBuffer = 4 << 10

// Format names a container.
type Format string

// The containers a Meter recognises.
const (
	Unknown  Format = ""
	WAV      Format = "wav"
	FLAC     Format = "flac"
	MP3      Format = "mp3"
	Ogg      Format = "ogg"
	Matroska Format = "webm" // WebM and Matroska
	MP4      Format = "mp4"  // MP4, M4A, 3GP, QuickTime
)

// Result is what a Meter found.
type Result struct {
	Format Format
	// Seconds is the audio's duration; meaningful only when Known.
	Seconds float64
	// Known is false when the format was not recognised or the file did not say or
	// show its duration; Seconds is then 0 and must not be billed as such.
	Known bool
}

// parser reads one container. parse is given at least the bytes it last asked for and
// often more (whatever is at hand, without copying); it returns how many bytes to drop,
// which may be more than it was given (the rest is skipped as it streams past), and
// how many it needs next, at most MaxBuffer. need 0 ends parsing: the rest of the file
// is not looked at.
type parser interface {
	parse(b []byte) (drop int64, need int)
	// duration is the result once the whole file went by: total is its length.
	duration(total int64) (seconds float64, ok bool)
}

// Meter measures the audio file written to it. The zero value is ready; it never fails
// and never keeps the bytes written beyond MaxBuffer. It is not safe for concurrent use.
type Meter struct {
	format Format
	p      parser
	buf    []byte // bytes kept for the next parse, fewer than need
	need   int    // bytes the parser needs next; 0 when parsing ended
	skip   int64  // bytes still to drop before the next parse
	total  int64  // bytes written
	// off is the file offset of the first byte the next parse sees.
	off     int64
	started bool
}

// detectLen is how many leading bytes tell the formats apart.
const detectLen = 12

// Write feeds the next bytes of the file. It always returns len(p), nil.
func (m *Meter) Write(p []byte) (int, error) {
	n := len(p)
	m.total += int64(n)
	if !m.started {
		m.started = true
		m.need = detectLen
		m.p = &detector{m: m}
	}
	for m.need > 0 {
		if m.skip > 0 {
			if int64(len(p)) <= m.skip {
				m.skip -= int64(len(p))
				return n, nil
			}
			p = p[m.skip:]
			m.skip = 0
		}
		inPlace := len(m.buf) == 0 && len(p) >= m.need
		var b []byte
		if inPlace {
			b, p = p, nil // parse where the bytes are: no copy
		} else {
			take := min(max(m.need-len(m.buf), 0), len(p))
			m.buf = append(m.buf, p[:take]...)
			p = p[take:]
			if len(m.buf) < m.need {
				return n, nil
			}
			b = m.buf
		}
		drop, need := m.p.parse(b)
		if need > MaxBuffer || need < 0 || drop < 0 {
			m.stop()
			return n, nil
		}
		m.need = need
		m.off += drop
		switch {
		case drop >= int64(len(b)):
			m.skip = drop - int64(len(b))
			m.buf = m.buf[:0]
		case inPlace:
			p = b[drop:]
		default:
			m.buf = append(m.buf[:0], m.buf[drop:]...)
		}
	}
	return n, nil
}

// stop ends parsing; the rest of the file is not looked at.
func (m *Meter) stop() {
	m.need = 0
	m.buf = nil
}

// Result returns what the bytes written so far say: call it once the whole file was written.
func (m *Meter) Result() Result {
	if m.p == nil || m.format == Unknown {
		return Result{}
	}
	s, ok := m.p.duration(m.total)
	if !ok || !(s > 0) || s > maxSeconds {
		return Result{Format: m.format}
	}
	return Result{Format: m.format, Seconds: s, Known: true}
}

// maxSeconds bounds a believable duration (a week); beyond it the headers lie.
const maxSeconds = 7 * 24 * 3600
