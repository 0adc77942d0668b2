package instrumentation

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"testing"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// uploadRecorder is a base transport that reads the request body as a network
// would and keeps what it read, then answers status and body.
type uploadRecorder struct {
	status int
	header http.Header
	body   func() io.ReadCloser
	sent   bytes.Buffer
}

func (r *uploadRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		buf := make([]byte, 4096)
		for {
			n, err := req.Body.Read(buf)
			r.sent.Write(buf[:n])
			if err != nil {
				break
			}
		}
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: r.status, Status: http.StatusText(r.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: r.header.Clone(), Body: r.body(), ContentLength: -1, Request: req,
	}, nil
}

// voiceFuzzRoutes are the voice endpoints a fuzzed exchange goes to.
var voiceFuzzRoutes = []struct{ path, format, contentType string }{
	{groqTranscriptionsPath, "json", "application/json"},
	{groqTranscriptionsPath, "verbose_json", "application/json"},
	{groqTranslationsPath, "text", "text/plain; charset=utf-8"},
	{groqSpeechPath, "", "audio/wav"},
}

// FuzzVoice sends truncated and corrupt audio (and text-to-speech input) through the
// transport in random chunkings and serves random answers: the provider must receive
// the app's bytes and the app the provider's, one span must end, and a duration is
// either measured (finite, not negative) or absent with the call unpriced, never 0 USD.
func FuzzVoice(f *testing.F) {
	for i, name := range []string{"tone.wav", "tone.flac", "tone_vbr.mp3", "tone.ogg", "tone.webm", "tone.m4a", "tone_fragmented.m4a", "speech_vercel_ai_sdk.mp3"} {
		audio := audioFile(f, name)
		f.Add(uint8(i), audio, uint32(0), uint8(0), uint16(200), uint8(7), []byte(`{"text":" hi","duration":2.5}`))
		f.Add(uint8(i), audio, uint32(len(audio)/2), uint8(0), uint16(200), uint8(61), []byte(`{"text":" hi"}`))
		f.Add(uint8(i+1), audio, uint32(0), uint8(97), uint16(200), uint8(1), []byte(" hi"))
	}
	f.Add(uint8(3), []byte("Hello there"), uint32(0), uint8(0), uint16(200), uint8(5), audioFile(f, "tone.wav")[:100])
	f.Add(uint8(1), []byte("RIFF"), uint32(0), uint8(0), uint16(400), uint8(3), []byte(`{"error":{"message":"could not process file"}}`))
	f.Fuzz(func(t *testing.T, route uint8, audio []byte, cut uint32, flip uint8, status uint16, chunk uint8, reply []byte) {
		r := voiceFuzzRoutes[int(route)%len(voiceFuzzRoutes)]
		if cut > 0 && int(cut) < len(audio) {
			audio = audio[:cut]
		}
		if flip > 0 && len(audio) > 0 {
			audio = bytes.Clone(audio)
			for i := int(flip); i < len(audio); i += 1 + int(flip)*31 {
				audio[i] ^= flip
			}
		}
		var body []byte
		contentType := "application/json"
		if r.path == groqSpeechPath {
			body = []byte(`{"model":"playai-tts","voice":"Fritz-PlayAI","input":` + quoteJSON(audio) + `}`)
		} else {
			body, contentType = speechForm(t, map[string]string{"model": "whisper-large-v3", "response_format": r.format}, "a.bin", audio)
		}
		code := 200 + int(status)%400
		base := &uploadRecorder{status: code, header: http.Header{"Content-Type": {r.contentType}}, body: func() io.ReadCloser {
			return &chunkedReader{data: reply, size: 1 + int(chunk)%97}
		}}
		h := newHarness(t)
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://api.groq.com"+r.path,
			&chunkedReader{data: body, size: 1 + int(chunk)%251})
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := h.inst.Transport(base).RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip: %v", err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.Equal(got, reply) {
			t.Fatalf("app read %d bytes, provider sent %d", len(got), len(reply))
		}
		if !bytes.Equal(base.sent.Bytes(), body) {
			t.Fatalf("provider received %d bytes, app sent %d", base.sent.Len(), len(body))
		}
		spans := h.spans.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("ended spans = %d, want 1", len(spans))
		}
		a := attrs(spans[0])
		if v, ok := a[semconv.UsageAudioSeconds]; ok {
			if s := v.AsFloat64(); !(s > 0) || math.IsInf(s, 0) {
				t.Fatalf("audio seconds %v", s)
			}
		}
		if st, ok := a[semconv.CostStatus]; ok && st.AsString() == semconv.CostPriced {
			if usd := a[semconv.CostUSD].AsFloat64(); !(usd > 0) {
				t.Fatalf("priced at %v USD", usd)
			}
		}
	})
}

// quoteJSON makes a JSON string of arbitrary bytes, as an app's encoder would.
func quoteJSON(b []byte) string {
	var sb bytes.Buffer
	sb.WriteByte('"')
	for _, r := range string(b) {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte("0123456789abcdef"[r>>4])
			sb.WriteByte("0123456789abcdef"[r&15])
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
