package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// idSource derives request and response ids from a sequence number, so that two emulators
// with the same clock answer with the same ids.
type idSource struct{ seq uint64 }

func (s *idSource) next() [32]byte {
	s.seq++
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s.seq)
	return sha256.Sum256(b[:])
}

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// groqRequestID looks like Groq's "req_01j6y8yaypebqr66bn9r72s63h".
func groqRequestID(h [32]byte) string {
	var b strings.Builder
	b.WriteString("req_01")
	for i := range 24 {
		b.WriteByte(crockford[h[i]&31])
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

// completionID looks like "chatcmpl-645691ff-34af-4d0f-a1c1-fe888f8685cc".
func completionID(h [32]byte) string {
	var b strings.Builder
	b.WriteString("chatcmpl-")
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b.WriteByte('-')
		}
		b.WriteByte(hexDigits[h[16+i]>>4])
		b.WriteByte(hexDigits[h[16+i]&15])
	}
	return b.String()
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// geminiResponseID looks like Gemini's "-hk4afOSMZKkjuMPnJWGkAk".
func geminiResponseID(h [32]byte) string {
	b := make([]byte, 23)
	for i := range b {
		b[i] = base64URL[h[i]&63]
	}
	return string(b)
}
