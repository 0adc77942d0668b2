package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Groq's speech endpoints: speech-to-text and translation (multipart uploads, billed per
// audio second) and text-to-speech (JSON in, WAV out, billed per character).
//
// The emulator hears only PCM WAV: any other upload gets the 400 Groq gives a file it
// cannot decode. A WAV's LIST INFO comment (see SpeechWAV) is its transcript.

// GroqAudioLimits are one organisation's speech-to-text limits for one model. Groq reports
// requests per day and audio seconds per hour in its headers; the day's audio seconds are
// enforced without a header of their own.
type GroqAudioLimits struct {
	RequestsPerDay      int
	AudioSecondsPerHour int
	AudioSecondsPerDay  int
}

// DefaultGroqAudioLimits are Groq's free-tier limits for whisper-large-v3 and
// whisper-large-v3-turbo: 2,000 requests a day, 7,200 audio seconds an hour, 28,800 a day.
var DefaultGroqAudioLimits = GroqAudioLimits{RequestsPerDay: 2000, AudioSecondsPerHour: 7200, AudioSecondsPerDay: 28800}

// Upload limits, as Groq's free tier has them.
const (
	// MaxUploadBytes is the largest speech-to-text request body: 25 MB of audio.
	MaxUploadBytes = 25 << 20
	// maxSpeechInput is the longest text-to-speech input, in characters.
	maxSpeechInput = 10000
	// SpeechRate is the emulated speaking rate: characters per second of speech.
	SpeechRate = 15
	// speechSampleRate is the rate of text-to-speech WAVs (Orpheus: 24 kHz).
	speechSampleRate = 24000
)

// registerGroqAudio adds the speech endpoints to Groq's mux.
func (e *Emulator) registerGroqAudio(mux *http.ServeMux) {
	mux.HandleFunc("POST /openai/v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) { e.groqSpeechToText(w, r, "transcribe") })
	mux.HandleFunc("POST /openai/v1/audio/translations", func(w http.ResponseWriter, r *http.Request) { e.groqSpeechToText(w, r, "translate") })
	mux.HandleFunc("POST /openai/v1/audio/speech", e.groqTextToSpeech)
}

// groqAudioQuota is one model's speech-to-text buckets.
type groqAudioQuota struct {
	limits              GroqAudioLimits
	requests, hour, day *bucket
}

func newGroqAudioQuota(l GroqAudioLimits) *groqAudioQuota {
	return &groqAudioQuota{
		limits:   l,
		requests: newBucket(l.RequestsPerDay, 24*time.Hour),
		hour:     newBucket(l.AudioSecondsPerHour, time.Hour),
		day:      newBucket(l.AudioSecondsPerDay, 24*time.Hour),
	}
}

// groqAudioQuotaFor returns model's speech-to-text quota. e.mu must be held.
func (e *Emulator) groqAudioQuotaFor(model string) *groqAudioQuota {
	q := e.groqAudioQuota[model]
	if q == nil {
		q = newGroqAudioQuota(e.cfg.groqAudioLimits())
		e.groqAudioQuota[model] = q
	}
	return q
}

// admit takes one request and seconds of audio, or says which limit refused them.
func (q *groqAudioQuota) admit(now time.Time, seconds int64) *groqRejection {
	rpd := groqLimitKind{"requests", "requests per day (RPD)", q.limits.RequestsPerDay}
	ash := groqLimitKind{"audio_seconds", "audio seconds per hour (ASH)", q.limits.AudioSecondsPerHour}
	asd := groqLimitKind{"audio_seconds", "audio seconds per day (ASD)", q.limits.AudioSecondsPerDay}
	reqUsed := q.requests.used(now)
	if ok, wait := q.requests.take(now, 1); !ok {
		return &groqRejection{kind: rpd, used: reqUsed, requested: 1, wait: wait}
	}
	for _, c := range []struct {
		b    *bucket
		kind groqLimitKind
	}{{q.hour, ash}, {q.day, asd}} {
		used := c.b.used(now)
		if ok, wait := c.b.take(now, seconds); !ok {
			q.requests.full = q.requests.full.Add(-q.requests.interval) // give the request back
			if c.b == q.day {
				q.hour.full = q.hour.full.Add(-time.Duration(seconds) * q.hour.interval)
			}
			return &groqRejection{kind: c.kind, used: used, requested: seconds, wait: wait}
		}
	}
	return nil
}

// setGroqAudioHeaders sets the quota headers of a speech-to-text answer: requests per day
// and audio seconds per hour; the day's audio seconds instead once they are the ones spent.
func (e *Emulator) setGroqAudioHeaders(h http.Header, q *groqAudioQuota, now time.Time, requestID string) {
	remReq, resetReq := q.requests.state(now)
	audio, limit := q.hour, q.limits.AudioSecondsPerHour
	if rem, _ := q.day.state(now); rem <= 0 {
		audio, limit = q.day, q.limits.AudioSecondsPerDay
	}
	remAudio, resetAudio := audio.state(now)
	h.Set("Vary", "Origin")
	h.Set("x-groq-region", e.cfg.GroqRegion)
	h.Set("x-ratelimit-limit-audio-seconds", strconv.Itoa(limit))
	h.Set("x-ratelimit-limit-requests", strconv.Itoa(q.limits.RequestsPerDay))
	h.Set("x-ratelimit-remaining-audio-seconds", strconv.FormatInt(remAudio, 10))
	h.Set("x-ratelimit-remaining-requests", strconv.FormatInt(remReq, 10))
	h.Set("x-ratelimit-reset-audio-seconds", resetAudio.Round(time.Millisecond).String())
	h.Set("x-ratelimit-reset-requests", resetReq.Round(time.Millisecond).String())
	h.Set("x-request-id", requestID)
}

// speechForm is what a speech-to-text form said.
type speechForm struct {
	fields  map[string]string
	words   bool // timestamp_granularities[] included "word"
	hasFile bool
	audio   wavInfo
	bad     error // the file could not be heard
}

// formValueLimit bounds a non-file form value.
const formValueLimit = 4 << 10

// readSpeechForm reads a multipart upload part by part, never holding the file.
func readSpeechForm(r *http.Request) (*speechForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("request Content-Type isn't multipart/form-data")
	}
	f := &speechForm{fields: make(map[string]string)}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		name := p.FormName()
		if name == "file" && !f.hasFile {
			f.hasFile = true
			f.audio, f.bad = readWAV(p)
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, err
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, formValueLimit))
		if err != nil {
			return nil, err
		}
		if name == "timestamp_granularities[]" && string(v) == "word" {
			f.words = true
		}
		if _, ok := f.fields[name]; !ok {
			f.fields[name] = string(v)
		}
	}
}

// transcription is Groq's answer in json and verbose_json.
type transcription struct {
	Task     string           `json:"task,omitempty"`
	Language string           `json:"language,omitempty"`
	Duration *float64         `json:"duration,omitempty"`
	Text     string           `json:"text"`
	Words    []transcriptWord `json:"words,omitempty"`
	// Segments is null, not absent, when the app asked for words only.
	Segments *[]transcriptSegment `json:"segments,omitempty"`
	XGroq    xGroq                `json:"x_groq"`
}

type transcriptWord struct {
	Word  string  `json:"word"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

type transcriptSegment struct {
	ID               int     `json:"id"`
	Seek             int     `json:"seek"`
	Start            float64 `json:"start"`
	End              float64 `json:"end"`
	Text             string  `json:"text"`
	Tokens           []int   `json:"tokens"`
	Temperature      float64 `json:"temperature"`
	AvgLogprob       float64 `json:"avg_logprob"`
	CompressionRatio float64 `json:"compression_ratio"`
	NoSpeechProb     float64 `json:"no_speech_prob"`
}

func (e *Emulator) groqSpeechToText(w http.ResponseWriter, r *http.Request, task string) {
	if !e.groqAuthorized(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBytes+64<<10)
	f, err := readSpeechForm(r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeGroqError(w, http.StatusRequestEntityTooLarge, groqErrorBody{Message: "Request Entity Too Large", Type: "invalid_request_error", Code: "request_too_large"})
		return
	case err != nil:
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: err.Error(), Type: "invalid_request_error"})
		return
	}
	model := f.fields["model"]
	format := f.fields["response_format"]
	if format == "" {
		format = "json"
	}
	switch {
	case model == "":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "model is required", Type: "invalid_request_error"})
		return
	case !f.hasFile && f.fields["url"] == "":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "file or url must be provided", Type: "invalid_request_error"})
		return
	case !f.hasFile:
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "emulator: url uploads are not fetched; send the file", Type: "invalid_request_error"})
		return
	case format != "json" && format != "verbose_json" && format != "text":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "response_format must be one of [json, text, verbose_json]", Type: "invalid_request_error"})
		return
	case f.bad != nil:
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "could not process file - is it a valid media file?", Type: "invalid_request_error"})
		return
	}

	e.mu.Lock()
	now := e.now()
	q := e.groqAudioQuotaFor(model)
	rj := q.admit(now, int64(math.Ceil(f.audio.seconds)))
	requestID := groqRequestID(e.ids.next())
	e.setGroqAudioHeaders(w.Header(), q, now, requestID)
	e.mu.Unlock()
	if rj != nil {
		writeGroqRejection(w, model, rj)
		return
	}

	text := f.audio.transcript
	if text == "" {
		text = fmt.Sprintf("Emulated transcript of %.2f seconds of audio.", f.audio.seconds)
	}
	text = " " + text // Whisper's transcripts start with a space
	w.Header().Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate")
	if format == "text" {
		writeAnswer(w, r, "text/plain; charset=utf-8", []byte(text))
		return
	}
	out := transcription{Text: text, XGroq: xGroq{ID: requestID}}
	if format == "verbose_json" {
		d := f.audio.seconds
		out.Task, out.Language, out.Duration = task, "English", &d
		if f.words {
			out.Words, out.Segments = transcriptWords(text, d), new([]transcriptSegment) // "segments": null
		} else {
			out.Segments = &[]transcriptSegment{{Seek: 0, End: d, Text: text, Tokens: []int{50365}, AvgLogprob: -0.25, CompressionRatio: 1.1, NoSpeechProb: 0.01}}
		}
	}
	writeAnswer(w, r, "application/json", encode(out))
}

// transcriptWords spreads the words of text evenly over seconds.
func transcriptWords(text string, seconds float64) []transcriptWord {
	words := strings.Fields(text)
	out := make([]transcriptWord, len(words))
	step := seconds / float64(max(len(words), 1))
	for i, w := range words {
		out[i] = transcriptWord{Word: w, Start: math.Round(float64(i)*step*100) / 100, End: math.Round(float64(i+1)*step*100) / 100}
	}
	return out
}

// speechRequest is a text-to-speech request.
type speechRequest struct {
	Model          string `json:"model"`
	Input          string `json:"input"`
	Voice          string `json:"voice"`
	ResponseFormat string `json:"response_format"`
}

func (e *Emulator) groqTextToSpeech(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	var req speechRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "We could not parse the JSON body of your request.", Type: "invalid_request_error"})
		return
	}
	chars := utf8.RuneCountInString(req.Input)
	switch {
	case req.Model == "":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "property 'model' is missing", Type: "invalid_request_error"})
		return
	case chars == 0 || chars > maxSpeechInput:
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: fmt.Sprintf("input must be between 1 and %d characters", maxSpeechInput), Type: "invalid_request_error"})
		return
	case req.Voice == "":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "property 'voice' is missing", Type: "invalid_request_error"})
		return
	case req.ResponseFormat != "" && req.ResponseFormat != "wav":
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "response_format must be wav", Type: "invalid_request_error"})
		return
	}
	// Characters count against the model's tokens-per-minute bucket.
	e.mu.Lock()
	q := e.groqQuotaFor(req.Model)
	rj := q.admit(e.now(), int64(chars))
	state := q.snapshot(e.now())
	requestID := groqRequestID(e.ids.next())
	e.mu.Unlock()
	e.setGroqHeaders(w.Header(), state, requestID)
	if rj != nil {
		writeGroqRejection(w, req.Model, rj)
		return
	}
	wav := SpeechWAV(float64(chars)/SpeechRate, speechSampleRate, "")
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Length", strconv.Itoa(len(wav)))
	w.WriteHeader(http.StatusOK)
	// Sent in pieces, as speech is produced.
	const piece = 16 << 10
	for len(wav) > 0 {
		n := min(piece, len(wav))
		if _, err := w.Write(wav[:n]); err != nil {
			return
		}
		wav = wav[n:]
		if len(wav) > 0 && e.cfg.ChunkDelay > 0 {
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			time.Sleep(e.cfg.ChunkDelay)
		}
	}
}
