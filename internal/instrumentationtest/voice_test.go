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

func newVoiceEnv(t *testing.T) *voiceEnv {
	t.Helper()
	emu, err := emulator.New(emulator.Config{})
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	srv := httptest.NewServer(emu.GroqHandler())
	t.Cleanup(srv.Close)
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
