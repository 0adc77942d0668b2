package emulator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// SpeechWAV returns a mono 16-bit PCM WAV file of the given length at rate Hz: a soft
// tone that stands in for speech. A non-empty transcript is stored in the file's LIST
// INFO comment (ICMT), where the emulator's speech-to-text reads it back, so a pipeline
// of generated audio gets the words it was made from.
func SpeechWAV(seconds float64, rate int, transcript string) []byte {
	samples := int(math.Round(seconds * float64(rate)))
	var info []byte
	if transcript != "" {
		text := append([]byte(transcript), 0)
		if len(text)%2 == 1 {
			text = append(text, 0)
		}
		info = make([]byte, 0, 12+len(text))
		info = append(info, "LISTxxxxINFOICMT"...)
		info = binary.LittleEndian.AppendUint32(info, uint32(len(text)))
		info = append(info, text...)
		binary.LittleEndian.PutUint32(info[4:8], uint32(len(info)-8))
	}
	data := samples * 2
	b := make([]byte, 0, 44+len(info)+data)
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(info)+data))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*2))
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, info...)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(data))
	return appendTone(b, samples, rate)
}

// appendTone appends samples of a quiet 220 Hz tone, 16-bit little-endian.
func appendTone(b []byte, samples, rate int) []byte {
	for i := range samples {
		v := int16(2000 * math.Sin(2*math.Pi*220*float64(i)/float64(rate)))
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// wavInfo is what the emulator's speech-to-text reads from an uploaded file.
type wavInfo struct {
	seconds    float64
	transcript string
}

// errNotWAV is the emulator's limit: it hears only PCM WAV.
var errNotWAV = errors.New("not a PCM WAV file")

// maxWAVChunk bounds a non-data chunk the reader keeps (the LIST INFO comment).
const maxWAVChunk = 64 << 10

// readWAV reads a WAV file from r as it streams, keeping only its small chunks: the
// duration is the data bytes received over the byte rate.
func readWAV(r io.Reader) (wavInfo, error) {
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || string(head[:4]) != "RIFF" || string(head[8:]) != "WAVE" {
		return wavInfo{}, errNotWAV
	}
	var info wavInfo
	var byteRate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return wavInfo{}, errNotWAV
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[:4]) {
		case "data":
			if byteRate == 0 {
				return wavInfo{}, errNotWAV
			}
			n, err := io.Copy(io.Discard, io.LimitReader(r, size))
			if err != nil {
				return wavInfo{}, fmt.Errorf("read audio data: %w", err)
			}
			info.seconds = float64(n) / float64(byteRate)
			return info, nil
		case "fmt ", "LIST":
			if size > maxWAVChunk {
				return wavInfo{}, errNotWAV
			}
			c := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, c); err != nil {
				return wavInfo{}, errNotWAV
			}
			if string(ch[:4]) == "fmt " {
				if len(c) < 16 || binary.LittleEndian.Uint16(c) != 1 {
					return wavInfo{}, errNotWAV
				}
				byteRate = binary.LittleEndian.Uint32(c[8:12])
			} else if t, ok := infoComment(c); ok {
				info.transcript = t
			}
		default:
			if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
				return wavInfo{}, errNotWAV
			}
		}
	}
}

// infoComment returns the ICMT text of a LIST chunk's body.
func infoComment(c []byte) (string, bool) {
	if len(c) < 4 || string(c[:4]) != "INFO" {
		return "", false
	}
	for c = c[4:]; len(c) >= 8; {
		id, n := string(c[:4]), int(binary.LittleEndian.Uint32(c[4:8]))
		if n > len(c)-8 {
			return "", false
		}
		if id == "ICMT" {
			return string(bytes.TrimRight(c[8:8+n], "\x00")), true
		}
		c = c[min(8+n+n&1, len(c)):]
	}
	return "", false
}
