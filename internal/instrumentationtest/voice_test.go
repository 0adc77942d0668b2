package instrumentationtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/emulator"
)

// voiceEnv is the emulator's Groq behind a test server, with an openai-go client going
// through the instrumentation and one going straight to it.
type voiceEnv struct {
	h            *harness
	srv          *httptest.Server
	instrumented openai.Client
	bare         openai.Client
}

// serveEmulator serves one of a new emulator's providers on loopback: handler is
// (*emulator.Emulator).GroqHandler or GeminiHandler.
func serveEmulator(t *testing.T, handler func(*emulator.Emulator) http.Handler) *httptest.Server {
	t.Helper()
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	srv := httptest.NewServer(handler(emu))
	t.Cleanup(srv.Close)
	return srv
}

func newVoiceEnv(t *testing.T) *voiceEnv {
	t.Helper()
	srv := serveEmulator(t, (*emulator.Emulator).GroqHandler)
	h := newHarness(t, instrumentation.WithHost(srv.Listener.Addr().String(), instrumentation.Groq))
	client := func(rt http.RoundTripper) openai.Client {
		return openai.NewClient(option.WithBaseURL(srv.URL+"/openai/v1"), option.WithAPIKey("gsk_test"),
			option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: rt}))
	}
	return &voiceEnv{h: h, srv: srv, instrumented: client(h.inst.Transport(nil)), bare: client(http.DefaultTransport)}
}

// lastSpan returns the span ended last.
func (e *voiceEnv) lastSpan(t *testing.T) tracetest.SpanStub {
	t.Helper()
	ss := e.h.spans.GetSpans()
	if len(ss) == 0 {
		t.Fatal("no span ended")
	}
	return ss[len(ss)-1]
}

// TestSpeechToTextThroughSDK: openai-go's transcriptions and translations through the
// transport against the emulator, in each response format.
func TestSpeechToTextThroughSDK(t *testing.T) {
	const seconds = 3.7
	wav := emulator.SpeechWAV(seconds, 16000, "turn the lights on")
	e := newVoiceEnv(t)
	ctx := context.Background()

	tests := []struct {
		name   string
		op     string
		format openai.AudioResponseFormat
	}{
		{"transcription json", semconv.OperationTranscription, openai.AudioResponseFormatJSON},
		{"transcription verbose_json", semconv.OperationTranscription, openai.AudioResponseFormatVerboseJSON},
		{"transcription text", semconv.OperationTranscription, openai.AudioResponseFormatText},
		{"translation json", semconv.OperationTranslation, openai.AudioResponseFormatJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text string
			switch tt.op {
			case semconv.OperationTranscription:
				params := openai.AudioTranscriptionNewParams{
					File: openai.File(bytes.NewReader(wav), "lights.wav", "audio/wav"), Model: "whisper-large-v3-turbo",
					ResponseFormat: tt.format,
				}
				if tt.format == openai.AudioResponseFormatText {
					// openai-go decodes plain text only into a string.
					if _, err := e.instrumented.Audio.Transcriptions.New(ctx, params, option.WithResponseBodyInto(&text)); err != nil {
						t.Fatalf("transcription: %v", err)
					}
					break
				}
				res, err := e.instrumented.Audio.Transcriptions.New(ctx, params)
				if err != nil {
					t.Fatalf("transcription: %v", err)
				}
				text = res.Text
				if tt.format == openai.AudioResponseFormatVerboseJSON && res.Duration != seconds {
					t.Errorf("SDK read duration %v, want %v", res.Duration, seconds)
				}
			case semconv.OperationTranslation:
				res, err := e.instrumented.Audio.Translations.New(ctx, openai.AudioTranslationNewParams{
					File: openai.File(bytes.NewReader(wav), "lights.wav", "audio/wav"), Model: "whisper-large-v3",
					ResponseFormat: openai.AudioTranslationNewParamsResponseFormat(tt.format),
				})
				if err != nil {
					t.Fatalf("translation: %v", err)
				}
				text = res.Text
			}
			if text != " turn the lights on" {
				t.Errorf("SDK read text %q", text)
			}
			s := e.lastSpan(t)
			model := "whisper-large-v3-turbo"
			if tt.op == semconv.OperationTranslation {
				model = "whisper-large-v3"
			}
			if s.Name != tt.op+" "+model {
				t.Errorf("span name %q", s.Name)
			}
			a := attrs(s)
			wantAttrs(t, a, map[attribute.Key]any{
				semconv.GenAIOperationName:         tt.op,
				semconv.GenAIProviderName:          "groq",
				semconv.GenAIRequestModel:          model,
				semconv.HTTPResponseStatusCode:     200,
				semconv.UsageAudioSeconds:          seconds,
				semconv.RateLimitAudioSecondsLimit: int64(emulator.DefaultGroqAudioLimits.AudioSecondsPerHour),
				semconv.RateLimitRequestsLimit:     int64(emulator.DefaultGroqAudioLimits.RequestsPerDay),
				semconv.ErrorType:                  nil,
				semconv.UsageInputCharacters:       nil,
			})
			if rem := a[semconv.RateLimitAudioSecondsRemaining].AsInt64(); rem >= int64(emulator.DefaultGroqAudioLimits.AudioSecondsPerHour) {
				t.Errorf("audio seconds remaining %d: the upload was not counted", rem)
			}
		})
	}
}

// TestTextToSpeechThroughSDK: openai-go's speech through the transport against the
// emulator: the app reads the same audio bytes as without the transport, and the span
// bills the input's characters.
func TestTextToSpeechThroughSDK(t *testing.T) {
	e := newVoiceEnv(t)
	ctx := context.Background()
	input := "Les lumières sont allumées." // 27 characters, 30 bytes
	params := openai.AudioSpeechNewParams{
		Model: "canopylabs/orpheus-v1-english", Input: input,
		Voice:          openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("troy")},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV,
	}
	read := func(c openai.Client) []byte {
		resp, err := c.Audio.Speech.New(ctx, params)
		if err != nil {
			t.Fatalf("speech: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read speech: %v", err)
		}
		return b
	}
	got, want := read(e.instrumented), read(e.bare)
	if !bytes.Equal(got, want) || len(got) < 44 {
		t.Fatalf("app read %d bytes through the transport, %d without", len(got), len(want))
	}
	s := e.h.span(t)
	if s.Name != "text_to_speech canopylabs/orpheus-v1-english" {
		t.Errorf("span name %q", s.Name)
	}
	wantAttrs(t, attrs(s), map[attribute.Key]any{
		semconv.GenAIOperationName:     "text_to_speech",
		semconv.GenAIRequestModel:      "canopylabs/orpheus-v1-english",
		semconv.UsageInputCharacters:   int64(27),
		semconv.UsageAudioSeconds:      nil,
		semconv.HTTPResponseStatusCode: 200,
		semconv.ErrorType:              nil,
	})
}

// TestVoiceCostFromPriceTable: each voice span's cost is the price table's rate times
// its billed unit, computed here by hand from the rows of instrumentation/pricing/prices.csv.
func TestVoiceCostFromPriceTable(t *testing.T) {
	e := newVoiceEnv(t)
	ctx := context.Background()
	const (
		turboPerHour   = 0.04  // groq,whisper-large-v3-turbo,standard,audio_billed_seconds,0.04,3600,min 10
		largePerHour   = 0.111 // groq,whisper-large-v3,standard,audio_billed_seconds,0.111,3600,min 10
		orpheusPerMChr = 22.0  // groq,canopylabs/orpheus-v1-english,standard,input_characters,22,1M
	)
	transcribe := func(model string, seconds float64) {
		t.Helper()
		wav := emulator.SpeechWAV(seconds, 16000, "")
		if _, err := e.instrumented.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
			File: openai.File(bytes.NewReader(wav), "a.wav", "audio/wav"), Model: openai.AudioModel(model),
		}); err != nil {
			t.Fatalf("transcription: %v", err)
		}
	}
	tests := []struct {
		name   string
		call   func()
		billed any // aiusage.usage.audio.billed_seconds
		chars  any // aiusage.usage.input_characters
		usd    float64
	}{
		{"3.7 s: the 10 s minimum", func() { transcribe("whisper-large-v3-turbo", 3.7) }, 10.0, nil, 10 * turboPerHour / 3600},
		{"12.5 s: as measured", func() { transcribe("whisper-large-v3", 12.5) }, 12.5, nil, 12.5 * largePerHour / 3600},
		{"speech: per character", func() {
			resp, err := e.instrumented.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{
				Model: "canopylabs/orpheus-v1-english", Input: "Les lumières sont allumées.",
				Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("troy")},
			})
			if err != nil {
				t.Fatalf("speech: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}, nil, int64(27), 27 * orpheusPerMChr / 1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.call()
			wantAttrs(t, attrs(e.lastSpan(t)), map[attribute.Key]any{
				semconv.UsageAudioBilledSeconds: tt.billed,
				semconv.UsageInputCharacters:    tt.chars,
				semconv.CostStatus:              semconv.CostPriced,
				semconv.CostUSD:                 tt.usd,
				semconv.GenAIUsageCost:          tt.usd,
			})
		})
	}
}

// TestGeminiTextToSpeechThroughGenai: a Gemini TTS model through generateContent (genai
// against the emulator): audio output tokens on the span, priced at the audio rate.
func TestGeminiTextToSpeechThroughGenai(t *testing.T) {
	srv := serveEmulator(t, (*emulator.Emulator).GeminiHandler)
	h := newHarness(t, instrumentation.WithHost(srv.Listener.Addr().String(), instrumentation.Gemini))
	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: "gemini_test", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL},
		HTTPClient:  &http.Client{Transport: h.inst.Transport(nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	const model = "gemini-2.5-flash-preview-tts"
	res, err := client.Models.GenerateContent(ctx, model, genai.Text("Tomorrow morning in Paris: light rain."), &genai.GenerateContentConfig{
		ResponseModalities: []string{string(genai.ModalityAudio)},
		SpeechConfig:       &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: "Kore"}}},
	})
	if err != nil {
		t.Fatalf("generateContent: %v", err)
	}
	u := res.UsageMetadata
	var audioOut int64
	for _, d := range u.CandidatesTokensDetails {
		if d.Modality == genai.MediaModalityAudio {
			audioOut += int64(d.TokenCount)
		}
	}
	if audioOut == 0 {
		t.Fatal("no audio output tokens reported")
	}
	in, out := int64(u.PromptTokenCount), int64(u.CandidatesTokenCount)
	// gcp.gemini,gemini-2.5-flash-preview-tts,standard: input_tokens 0.5, output_tokens 10,
	// audio_output_tokens 10 per 1M.
	usd := float64(in)*0.5/1e6 + float64(out-audioOut)*10/1e6 + float64(audioOut)*10/1e6
	wantAttrs(t, attrs(h.span(t)), map[attribute.Key]any{
		semconv.GenAIOperationName:     "generate_content",
		semconv.GenAIRequestModel:      model,
		semconv.GenAIUsageInputTokens:  in,
		semconv.GenAIUsageOutputTokens: out,
		semconv.UsageAudioOutputTokens: audioOut,
		semconv.CostStatus:             semconv.CostPriced,
		semconv.CostUSD:                usd,
	})
}
