package instrumentationtest

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation/genailive"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/internal/emulator"
)

const liveModel = "gemini-2.5-flash-native-audio-preview-09-2025"

// TestLiveSessionThroughGenai: a two-turn Live session through the genai SDK against
// the emulator, recorded by genailive: one live span, an event per turn, and the turns'
// usage summed per modality as the SDK handed it to the app.
func TestLiveSessionThroughGenai(t *testing.T) {
	srv := serveEmulator(t, (*emulator.Emulator).GeminiHandler)
	h := newHarness(t)
	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: "gemini_test", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: "ws://" + strings.TrimPrefix(srv.URL, "http://"), APIVersion: "v1beta"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := genailive.Connect(ctx, h.inst, client, liveModel, &genai.LiveConnectConfig{
		ResponseModalities: []genai.Modality{genai.ModalityAudio},
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}

	// What the SDK handed the app, summed by hand.
	var prompt, response, audioIn, audioOut int64
	turn := func() {
		t.Helper()
		for {
			msg, err := s.Receive()
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			if m := msg.UsageMetadata; m != nil {
				prompt += int64(m.PromptTokenCount)
				response += int64(m.ResponseTokenCount)
				for _, d := range m.PromptTokensDetails {
					if d.Modality == genai.MediaModalityAudio {
						audioIn += int64(d.TokenCount)
					}
				}
				for _, d := range m.ResponseTokensDetails {
					if d.Modality == genai.MediaModalityAudio {
						audioOut += int64(d.TokenCount)
					}
				}
			}
			if msg.ServerContent != nil && msg.ServerContent.TurnComplete {
				return
			}
		}
	}
	if err := s.SendClientContent(genai.LiveClientContentInput{
		Turns: []*genai.Content{genai.NewContentFromText("Hello! Keep your answers short.", genai.RoleUser)},
	}); err != nil {
		t.Fatal(err)
	}
	turn()
	wav := emulator.SpeechWAV(3.7, 16000, "")
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: wav[44:]}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{AudioStreamEnd: true}); err != nil {
		t.Fatal(err)
	}
	turn()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	_ = s.Close() // a second Close records nothing more

	if audioIn == 0 || audioOut == 0 {
		t.Fatalf("the emulator reported no audio tokens (in %d, out %d)", audioIn, audioOut)
	}
	sp := h.span(t)
	if sp.Name != "live "+liveModel {
		t.Errorf("span name %q", sp.Name)
	}
	if len(sp.Events) != 2 {
		t.Fatalf("%d events, want one per turn", len(sp.Events))
	}
	for _, ev := range sp.Events {
		if ev.Name != semconv.EventLiveTurn {
			t.Errorf("event %q", ev.Name)
		}
	}
	wantAttrs(t, attrs(sp), map[attribute.Key]any{
		semconv.GenAIOperationName:     "live",
		semconv.GenAIProviderName:      "gcp.gemini",
		semconv.GenAIRequestModel:      liveModel,
		semconv.GenAIUsageInputTokens:  prompt,
		semconv.GenAIUsageOutputTokens: response,
		semconv.UsageAudioInputTokens:  audioIn,
		semconv.UsageAudioOutputTokens: audioOut,
		semconv.ErrorType:              nil,
		semconv.HTTPResponseStatusCode: 101,
		semconv.CostStatus:             semconv.CostPriced,
		// gcp.gemini,gemini-2.5-flash-native-audio-preview-09-2025,standard per 1M: input_tokens
		// 0.5 (text), audio_input_tokens 3, output_tokens 2 (text), audio_output_tokens 12.
		semconv.CostUSD: (float64(prompt-audioIn)*0.5 + float64(audioIn)*3 + float64(response-audioOut)*2 + float64(audioOut)*12) / 1e6,
	})
}
