package instrumentation

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// audioFile reads one of the audio parser's test files (durations.golden gives
// their decoded lengths).
func audioFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("internal", "audio", "testdata", name))
	if err != nil {
		t.Fatalf("read audio: %v", err)
	}
	return b
}

// speechForm builds a speech-to-text upload as openai-go writes one: fields, then
// the file part.
func speechForm(t testing.TB, fields map[string]string, filename string, file []byte) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range []string{"model", "response_format", "language"} {
		if v, ok := fields[k]; ok {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// voiceServer answers every request with status and body after reading the whole
// request body, and remembers the bytes it received.
func voiceServer(t testing.TB, status int, contentType, body string) (*httptest.Server, *atomic.Pointer[[]byte]) {
	t.Helper()
	var got atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(&b)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("x-ratelimit-limit-audio-seconds", "7200")
		w.Header().Set("x-ratelimit-remaining-audio-seconds", "7190")
		w.Header().Set("x-ratelimit-reset-audio-seconds", "5s")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestSpeechToTextSpans(t *testing.T) {
	wav := audioFile(t, "tone.wav") // 2.5 s
	tests := []struct {
		name     string
		path     string
		fields   map[string]string
		file     []byte
		status   int
		ctype    string
		reply    string
		want     map[attribute.Key]any
		spanName string
	}{{
		name:   "json: measured from the upload",
		path:   groqTranscriptionsPath,
		fields: map[string]string{"model": "whisper-large-v3-turbo"},
		file:   wav, status: 200, ctype: "application/json",
		reply:    `{"text":" Hello.","x_groq":{"id":"req_01"}}`,
		spanName: "transcription whisper-large-v3-turbo",
		want: map[attribute.Key]any{
			semconv.GenAIOperationName:         "transcription",
			semconv.GenAIRequestModel:          "whisper-large-v3-turbo",
			semconv.GenAIResponseID:            "req_01",
			semconv.UsageAudioSeconds:          2.5,
			semconv.GenAIUsageInputTokens:      int64(0), // the GenAI totals are on every call with usage (usage.Units)
			semconv.RateLimitAudioSecondsLimit: int64(7200),
		},
	}, {
		name:   "verbose_json: the response's duration wins",
		path:   groqTranscriptionsPath,
		fields: map[string]string{"model": "whisper-large-v3", "response_format": "verbose_json"},
		file:   wav, status: 200, ctype: "application/json",
		reply:    `{"task":"transcribe","language":"English","duration":2.507750144,"text":" Hello.","segments":null,"x_groq":{"id":"req_02"}}`,
		spanName: "transcription whisper-large-v3",
		want: map[attribute.Key]any{
			semconv.UsageAudioSeconds: 2.507750144,
		},
	}, {
		name:   "text: measured",
		path:   groqTranslationsPath,
		fields: map[string]string{"model": "whisper-large-v3", "response_format": "text"},
		file:   audioFile(t, "tone.flac"), status: 200, ctype: "text/plain; charset=utf-8",
		reply:    " Hello.",
		spanName: "translation whisper-large-v3",
		want: map[attribute.Key]any{
			semconv.GenAIOperationName: "translation",
			semconv.UsageAudioSeconds:  2.5,
		},
	}, {
		name:   "unreadable audio: unknown, unpriced, never 0",
		path:   groqTranscriptionsPath,
		fields: map[string]string{"model": "whisper-large-v3"},
		file:   bytes.Repeat([]byte("not audio "), 100), status: 200, ctype: "application/json",
		reply:    `{"text":" Hello."}`,
		spanName: "transcription whisper-large-v3",
		want: map[attribute.Key]any{
			semconv.UsageAudioSeconds: nil,
			semconv.CostStatus:        semconv.CostUnpriced,
			semconv.CostUSD:           nil,
		},
	}, {
		name:   "truncated WAV: unknown",
		path:   groqTranscriptionsPath,
		fields: map[string]string{"model": "whisper-large-v3"},
		file:   wav[:30], status: 200, ctype: "application/json",
		reply:    `{"text":""}`,
		spanName: "transcription whisper-large-v3",
		want: map[attribute.Key]any{
			semconv.UsageAudioSeconds: nil,
			semconv.CostStatus:        semconv.CostUnpriced,
		},
	}, {
		name:   "rejected: no usage, not billed",
		path:   groqTranscriptionsPath,
		fields: map[string]string{"model": "whisper-large-v3"},
		file:   wav, status: 400, ctype: "application/json",
		reply:    `{"error":{"message":"could not process file","type":"invalid_request_error"}}`,
		spanName: "transcription whisper-large-v3",
		want: map[attribute.Key]any{
			semconv.UsageAudioSeconds: nil,
			semconv.ErrorType:         "400",
			semconv.CostStatus:        nil,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := voiceServer(t, tt.status, tt.ctype, tt.reply)
			h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
			body, ct := speechForm(t, tt.fields, "speech.bin", tt.file)
			resp, err := newGroqHTTPClient(h).Post(srv.URL+tt.path, ct, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.reply {
				t.Errorf("app read %q, want the provider's %q", b, tt.reply)
			}
			if p := got.Load(); p == nil || !bytes.Equal(*p, body) {
				t.Errorf("provider received a different body than the app sent")
			}
			s := h.span(t)
			if s.Name != tt.spanName {
				t.Errorf("span name %q, want %q", s.Name, tt.spanName)
			}
			wantAttrs(t, attrs(s), tt.want)
			checkVoiceMetrics(t, h, tt.want[semconv.UsageAudioSeconds])
		})
	}
}

// checkVoiceMetrics asserts the audio-seconds counter holds seconds (nil: no point)
// and that no token points were recorded for a call that bills no tokens.
func checkVoiceMetrics(t *testing.T, h *harness, seconds any) {
	t.Helper()
	ms := h.metrics(t)
	if tu, ok := ms[semconv.MetricTokenUsage].Data.(metricdata.Histogram[int64]); ok && len(tu.DataPoints) > 0 {
		t.Errorf("%d token usage points for a speech call", len(tu.DataPoints))
	}
	sum, _ := ms[semconv.MetricAudioSeconds].Data.(metricdata.Sum[float64])
	switch {
	case seconds == nil && len(sum.DataPoints) > 0:
		t.Errorf("%s = %v, want no point", semconv.MetricAudioSeconds, sum.DataPoints[0].Value)
	case seconds != nil && (len(sum.DataPoints) != 1 || !near(sum.DataPoints[0].Value, seconds.(float64))):
		t.Errorf("%s points %+v, want one of %v", semconv.MetricAudioSeconds, sum.DataPoints, seconds)
	}
}

// TestSpeechToTextResent: a body the transport sends twice (a redirect that keeps
// it) is measured once, from its last sending.
func TestSpeechToTextResent(t *testing.T) {
	srv, _ := voiceServer(t, 200, "application/json", `{"text":"x"}`)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, srv.URL+groqTranscriptionsPath, http.StatusTemporaryRedirect)
	})
	redirector := httptest.NewServer(mux)
	defer redirector.Close()
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq), WithHost(hostOf(t, redirector.URL), Groq))
	body, ct := speechForm(t, map[string]string{"model": "whisper-large-v3"}, "a.wav", audioFile(t, "tone.wav"))
	resp, err := newGroqHTTPClient(h).Post(redirector.URL+groqTranscriptionsPath, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	spans := h.spans.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("spans %v, want one per attempt", spanNames(spans))
	}
	for _, s := range spans {
		wantAttrs(t, attrs(s), map[attribute.Key]any{semconv.GenAIRequestModel: "whisper-large-v3"})
	}
	wantAttrs(t, attrs(spans[1]), map[attribute.Key]any{semconv.UsageAudioSeconds: 2.5})
}

func TestTextToSpeechSpan(t *testing.T) {
	audio := string(audioFile(t, "tone.wav"))
	srv, got := voiceServer(t, 200, "audio/wav", audio)
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
	// 11 characters, "é" one of them, and an escape that stands for one.
	req := `{"model":"playai-tts","input":"Café \u00e9t\n ok","voice":"Fritz-PlayAI","response_format":"wav"}`
	resp, err := newGroqHTTPClient(h).Post(srv.URL+groqSpeechPath, "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(b) != audio {
		t.Errorf("app read %d bytes, want the provider's %d", len(b), len(audio))
	}
	if p := got.Load(); p == nil || string(*p) != req {
		t.Errorf("provider received a different body than the app sent")
	}
	s := h.span(t)
	if s.Name != "text_to_speech playai-tts" {
		t.Errorf("span name %q", s.Name)
	}
	wantAttrs(t, attrs(s), map[attribute.Key]any{
		semconv.GenAIOperationName:    "text_to_speech",
		semconv.GenAIRequestModel:     "playai-tts",
		semconv.UsageInputCharacters:  int64(11),
		semconv.GenAIUsageInputTokens: int64(0),
	})
	checkVoiceMetrics(t, h, nil)
}

// TestSpeechToTextReplay replays Groq's real answers for a real recording (see
// internal/response/testdata/voice/SOURCES.md) through the transport: the duration
// Groq reported when verbose_json, else the one measured from the MP3 upload, which
// drops the LAME tag's encoder delay and padding as Groq's measure does.
func TestSpeechToTextReplay(t *testing.T) {
	mp3 := audioFile(t, "speech_vercel_ai_sdk.mp3")
	const groqSeconds = 2.507750144 // the verbose_json answer's duration
	tests := []struct {
		format, file, ctype string
		want                float64
	}{
		{"verbose_json", "groq_transcription_verbose_words.json", "application/json", groqSeconds},
		{"json", "groq_transcription.json", "application/json", 0},
		{"text", "groq_transcription_text.txt", "text/plain; charset=UTF-8", 0},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			recorded, err := os.ReadFile(filepath.Join("internal", "response", "testdata", "voice", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			reply := string(recorded)
			srv, _ := voiceServer(t, 200, tt.ctype, reply)
			h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
			body, ct := speechForm(t, map[string]string{"model": "whisper-large-v3", "response_format": tt.format}, "speech.mp3", mp3)
			resp, err := newGroqHTTPClient(h).Post(srv.URL+groqTranscriptionsPath, ct, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if string(b) != reply {
				t.Fatalf("app read %q, want Groq's answer", b)
			}
			v, ok := attrs(h.span(t))[semconv.UsageAudioSeconds]
			if !ok {
				t.Fatalf("%s absent", semconv.UsageAudioSeconds)
			}
			got := v.AsFloat64()
			if tt.want != 0 && got != tt.want {
				t.Errorf("audio seconds %v, want Groq's %v", got, tt.want)
			}
			// Measured: 2.5 s of MPEG frames less the LAME tag's delay and padding, within
			// 10 µs of what Groq measured.
			if d := got - groqSeconds; d > 1e-5 || d < -1e-5 {
				t.Errorf("audio seconds %v, Groq measured %v", got, groqSeconds)
			}
		})
	}
}

// TestSpeechToTextEstimatesAudioQuota: with configured audio-seconds limits, each
// transcription's measured seconds count toward the local per-hour and per-day
// estimates (their sum rounded up to whole seconds).
func TestSpeechToTextEstimatesAudioQuota(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":" hi"}`) // no quota headers: only the estimate knows
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq),
		WithLimits(quota.Limit{Provider: Groq, Model: "whisper-large-v3", AudioSecondsPerHour: 7200, AudioSecondsPerDay: 28800}))
	body, ct := speechForm(t, map[string]string{"model": "whisper-large-v3"}, "a.wav", audioFile(t, "tone.wav"))
	for range 2 {
		resp, err := newGroqHTTPClient(h).Post(srv.URL+groqTranscriptionsPath, ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	for _, w := range []struct {
		window string
		limit  int64
	}{{semconv.WindowHour, 7200}, {semconv.WindowDay, 28800}} {
		rem, ok := quotaPoint[int64](t, h, semconv.MetricRateLimitRemaining, semconv.ResourceAudioSeconds, w.window, semconv.SourceEstimate)
		if !ok || rem != w.limit-5 {
			t.Errorf("audio seconds remaining per %s: %d (found %v), want %d - 5 (2 x 2.5 s)", w.window, rem, ok, w.limit)
		}
	}
}
