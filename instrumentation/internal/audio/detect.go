package audio

import (
	"bytes"
	"encoding/binary"
)

// detector recognises the container from the file's first bytes and hands the rest of
// the file to that container's parser. An ID3v2 tag in front (MP3, sometimes FLAC) is
// skipped first.
type detector struct {
	m *Meter
}

func (d *detector) parse(b []byte) (int64, int) {
	b = b[:detectLen]
	if bytes.HasPrefix(b, []byte("ID3")) {
		// ID3v2: 10-byte header, a syncsafe size, and a 10-byte footer when flagged.
		size := int64(b[6]&0x7f)<<21 | int64(b[7]&0x7f)<<14 | int64(b[8]&0x7f)<<7 | int64(b[9]&0x7f)
		if b[5]&0x10 != 0 {
			size += 10
		}
		return 10 + size, detectLen
	}
	var p parser
	var f Format
	switch {
	case (bytes.HasPrefix(b, []byte("RIFF")) || bytes.HasPrefix(b, []byte("RF64"))) && string(b[8:12]) == "WAVE":
		f, p = WAV, newWAV(string(b[:4]) == "RF64")
	case bytes.HasPrefix(b, []byte("fLaC")):
		f, p = FLAC, &flacParser{}
	case bytes.HasPrefix(b, []byte("OggS")):
		f, p = Ogg, &oggParser{}
	case binary.BigEndian.Uint32(b) == idEBML:
		f, p = Matroska, newMatroska()
	case isMP4Box(string(b[4:8])):
		f, p = MP4, newMP4()
	case mp3Header(b) != nil:
		f, p = MP3, &mp3Parser{}
	default:
		return 0, 0
	}
	d.m.format, d.m.p = f, p
	return 0, detectLen // each parser starts on the file's first bytes and asks for more
}

func (d *detector) duration(int64) (float64, bool) { return 0, false }

// isMP4Box reports whether typ is a box that starts an ISO base media file.
func isMP4Box(typ string) bool {
	switch typ {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}
