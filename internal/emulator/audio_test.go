package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/emulator"
)

// speechForm writes a multipart speech-to-text form: fields, then the file (if any).
func speechForm(fields map[string]string, file []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range []string{"model", "response_format", "timestamp_granularities[]"} {
		if v, ok := fields[k]; ok {
			_ = mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "a.wav")
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// speechUpload posts a multipart speech-to-text form to the Groq emulator.
func speechUpload(t *testing.T, e *env, path string, fields map[string]string, file []byte) (int, http.Header, string) {
	t.Helper()
	body, ct := speechForm(fields, file)
	req, err := http.NewRequest(http.MethodPost, e.groq.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer gsk_test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestGroqSpeechToTextShapes: each response format has Groq's shape: json and text
// without a duration, verbose_json with it, and "segments": null when words were asked.
func TestGroqSpeechToTextShapes(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	wav := emulator.SpeechWAV(2.5, 16000, "turn the lights on")
	tests := []struct {
		name, path string
		fields     map[string]string
		ctype      string
		check      func(t *testing.T, body string)
	}{
		{"json", "/openai/v1/audio/transcriptions", map[string]string{"model": "whisper-large-v3"}, "application/json", func(t *testing.T, body string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			if m["text"] != " turn the lights on" || m["duration"] != nil || m["x_groq"] == nil {
				t.Errorf("json answer %s", body)
			}
		}},
		{"text", "/openai/v1/audio/transcriptions", map[string]string{"model": "whisper-large-v3", "response_format": "text"}, "text/plain; charset=utf-8", func(t *testing.T, body string) {
			if body != " turn the lights on" {
				t.Errorf("text answer %q", body)
			}
		}},
		{"verbose_json with words", "/openai/v1/audio/translations", map[string]string{"model": "whisper-large-v3", "response_format": "verbose_json", "timestamp_granularities[]": "word"}, "application/json", func(t *testing.T, body string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			seg, hasSegments := m["segments"]
			if m["duration"] != 2.5 || m["task"] != "translate" || !hasSegments || seg != nil || len(m["words"].([]any)) != 4 {
				t.Errorf("verbose_json answer %s", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := speechUpload(t, e, tt.path, tt.fields, wav)
			if status != 200 || h.Get("Content-Type") != tt.ctype {
				t.Fatalf("status %d, content type %q: %s", status, h.Get("Content-Type"), body)
			}
			if h.Get("x-ratelimit-limit-audio-seconds") != strconv.Itoa(emulator.DefaultGroqAudioLimits.AudioSecondsPerHour) {
				t.Errorf("audio-seconds limit header %q", h.Get("x-ratelimit-limit-audio-seconds"))
			}
			tt.check(t, body)
		})
	}
}

// TestGroqSpeechToTextRejects: the 400s Groq gives, and the hour's audio seconds
// counting down to a 429 naming them.
func TestGroqSpeechToTextRejects(t *testing.T) {
	e := newEnv(t, emulator.Config{GroqAudioLimits: emulator.GroqAudioLimits{AudioSecondsPerHour: 20}})
	wav := emulator.SpeechWAV(8, 16000, "")
	for _, tt := range []struct {
		name   string
		fields map[string]string
		file   []byte
		want   string
	}{
		{"no model", map[string]string{}, wav, "model is required"},
		{"no file", map[string]string{"model": "whisper-large-v3"}, nil, "file or url must be provided"},
		{"bad format", map[string]string{"model": "whisper-large-v3", "response_format": "srt"}, wav, "response_format"},
		{"not audio", map[string]string{"model": "whisper-large-v3"}, []byte("ID3 not really"), "valid media file"},
	} {
		status, _, body := speechUpload(t, e, "/openai/v1/audio/transcriptions", tt.fields, tt.file)
		if status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.name, status, body)
		}
	}
	var remaining []string
	for range 2 {
		status, h, body := speechUpload(t, e, "/openai/v1/audio/transcriptions", map[string]string{"model": "whisper-large-v3"}, wav)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		remaining = append(remaining, h.Get("x-ratelimit-remaining-audio-seconds"))
	}
	if remaining[0] != "12" || remaining[1] != "4" {
		t.Errorf("audio seconds remaining %v, want 12 then 4 of 20", remaining)
	}
	status, h, body := speechUpload(t, e, "/openai/v1/audio/transcriptions", map[string]string{"model": "whisper-large-v3"}, wav)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "audio seconds per hour (ASH): Limit 20, Used 16, Requested 8") || h.Get("retry-after") == "" {
		t.Errorf("third upload: %d %s (retry-after %q)", status, body, h.Get("retry-after"))
	}
	e.clock.Advance(time.Hour)
	if status, _, body := speechUpload(t, e, "/openai/v1/audio/transcriptions", map[string]string{"model": "whisper-large-v3"}, wav); status != 200 {
		t.Errorf("after the hour: %d %s", status, body)
	}
}

// TestGroqTextToSpeech: WAV back whose length follows the input, and Groq's 400s.
func TestGroqTextToSpeech(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	auth := map[string]string{"Authorization": "Bearer gsk_test"}
	status, h, body := post(t, e.groq.URL+"/openai/v1/audio/speech", `{"model":"canopylabs/orpheus-v1-english","voice":"troy","input":"Hello there, Ana."}`, auth)
	if status != 200 || h.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(body, "RIFF") {
		t.Fatalf("speech: %d %q %.20q", status, h.Get("Content-Type"), body)
	}
	// 17 characters at SpeechRate characters a second, 24 kHz 16-bit mono.
	chars := 17.0
	samples := int(chars/emulator.SpeechRate*24000 + 0.5)
	if len(body) != 44+2*samples {
		t.Errorf("WAV of %d bytes, want %d", len(body), 44+2*samples)
	}
	for _, tt := range []struct{ req, want string }{
		{`{"voice":"troy","input":"x"}`, "model"},
		{`{"model":"canopylabs/orpheus-v1-english","input":"x"}`, "voice"},
		{`{"model":"canopylabs/orpheus-v1-english","voice":"troy","input":""}`, "input must be between"},
		{`{"model":"canopylabs/orpheus-v1-english","voice":"troy","input":"x","response_format":"mp3"}`, "response_format must be wav"},
		{`{"model":`, "could not parse"},
	} {
		if status, _, body := post(t, e.groq.URL+"/openai/v1/audio/speech", tt.req, auth); status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.req, status, body)
		}
	}
}

// FuzzSpeechToText sends arbitrary uploads: the emulator answers every one with a
// status, never hangs or panics.
func FuzzSpeechToText(f *testing.F) {
	f.Add([]byte("RIFF"), "json")
	f.Add(emulator.SpeechWAV(0.5, 8000, "hi"), "verbose_json")
	f.Add(emulator.SpeechWAV(0.1, 8000, "")[:50], "text")
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		f.Fatal(err)
	}
	groq := emu.GroqHandler()
	f.Fuzz(func(t *testing.T, file []byte, format string) {
		body, ct := speechForm(map[string]string{"model": "whisper-large-v3", "response_format": format}, file)
		req := httptest.NewRequest(http.MethodPost, "/openai/v1/audio/transcriptions", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer gsk_test")
		rec := httptest.NewRecorder()
		groq.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 429 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
