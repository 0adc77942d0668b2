package demo

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/genailive"
	"github.com/aiusage/aiusage/internal/emulator"
)

// The voice pipeline's models: speech-to-text and translation on Groq (billed per
// audio second, 10 s at least), text-to-speech on Groq (per character) and on Gemini
// (audio output tokens), and a Gemini Live session (tokens per modality, per turn).
const (
	VoiceSTTModel         = "whisper-large-v3-turbo"
	VoiceTranslationModel = "whisper-large-v3"
	VoiceTTSModel         = "canopylabs/orpheus-v1-english"
	VoiceTTSVoice         = "troy"
	GeminiTTSModel        = "gemini-2.5-flash-preview-tts"
	GeminiTTSVoice        = "Kore"
	LiveModel             = "gemini-2.5-flash-native-audio-preview-09-2025"
)

// The pipeline's spoken input: an English question, and a French one to translate.
const (
	voiceQuestion = "What will the weather be like in Paris tomorrow morning?"
	voiceFrench   = "Quel temps fera-t-il demain matin à Paris ?"
)

// VoiceAttribution is who the voice pipeline's calls are recorded for: a project of
// their own, so a report filtered on it shows the pipeline alone.
var VoiceAttribution = instrumentation.Attribution{UserID: "ana", ProjectID: "voice-pipeline", Action: "voice-turn"}

// VoiceStep is what one step of the voice pipeline gave the app, read from the SDK's
// own answers: the units the step is billed by, as the app sees them.
type VoiceStep struct {
	Step, Model string
	// Units says what the step consumed, in the units it is billed by.
	Units string
	Err   error
}

// VoiceSpans is how many spans (rows) one voice pipeline run records: five HTTP calls
// and one Live session.
const VoiceSpans = 6

// RunVoice runs the voice assistant's pipeline once through the real SDKs against the
// emulated providers in urls: a WAV made in-process goes to Groq speech-to-text
// (openai-go), a French one to Groq translation, the transcript to a chat call, the
// answer to text-to-speech on Groq and on Gemini (genai), and a two-turn Gemini Live
// session (genai, recorded by genailive). Each step is recorded by inst, attributed to a.
func (d *Driver) RunVoice(ctx context.Context, inst *instrumentation.Instrumentation, urls ProviderURLs, a instrumentation.Attribution) []VoiceStep {
	ctx = instrumentation.WithAttribution(ctx, a)
	var steps []VoiceStep
	add := func(step, model, units string, err error) {
		steps = append(steps, VoiceStep{Step: step, Model: model, Units: units, Err: err})
	}

	// 1. Speech-to-text: the question, spoken, as a 16 kHz WAV the emulator "hears".
	question := emulator.SpeechWAV(spokenSeconds(voiceQuestion), 16000, voiceQuestion)
	tr, err := d.groq.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File:  openai.File(bytes.NewReader(question), "question.wav", "audio/wav"),
		Model: VoiceSTTModel,
	})
	transcript := voiceQuestion
	if err == nil {
		transcript = strings.TrimSpace(tr.Text)
	}
	add("speech-to-text", VoiceSTTModel, fmt.Sprintf("%.1f s of audio sent (json: no duration in the answer)", spokenSeconds(voiceQuestion)), err)

	// 2. Translation, verbose_json: the answer says the duration.
	french := emulator.SpeechWAV(spokenSeconds(voiceFrench), 16000, voiceFrench)
	var verbose struct {
		Duration float64 `json:"duration"`
	}
	tl, err := d.groq.Audio.Translations.New(ctx, openai.AudioTranslationNewParams{
		File:           openai.File(bytes.NewReader(french), "question-fr.wav", "audio/wav"),
		Model:          VoiceTranslationModel,
		ResponseFormat: openai.AudioTranslationNewParamsResponseFormatVerboseJSON,
	})
	if err == nil {
		err = decodeRaw(tl.RawJSON(), &verbose)
	}
	add("translation", VoiceTranslationModel, fmt.Sprintf("%.2f s of audio (duration in the answer)", verbose.Duration), err)

	// 3. The assistant's answer.
	chat, err := d.groq.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    GroqReplyModel,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(transcript)},
	})
	answer := "Tomorrow morning in Paris: light rain, 12 degrees."
	chatUnits := ""
	if err == nil {
		if len(chat.Choices) > 0 && chat.Choices[0].Message.Content != "" {
			answer = chat.Choices[0].Message.Content
		}
		chatUnits = fmt.Sprintf("%d input + %d output tokens", chat.Usage.PromptTokens, chat.Usage.CompletionTokens)
	}
	add("chat", GroqReplyModel, chatUnits, err)

	// 4. Text-to-speech on Groq: audio bytes back, billed per input character.
	speech, err := d.groq.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{
		Model:          VoiceTTSModel,
		Input:          answer,
		Voice:          openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String(VoiceTTSVoice)},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV,
	})
	var audioBytes int64
	if err == nil {
		audioBytes, err = io.Copy(io.Discard, speech.Body)
		speech.Body.Close()
	}
	add("text-to-speech", VoiceTTSModel, fmt.Sprintf("%d characters in, %d bytes of WAV out", utf8.RuneCountInString(answer), audioBytes), err)

	// 5. Text-to-speech on Gemini: audio output tokens.
	gtts, err := d.gemini.Models.GenerateContent(ctx, GeminiTTSModel, genai.Text(answer), &genai.GenerateContentConfig{
		ResponseModalities: []string{string(genai.ModalityAudio)},
		SpeechConfig: &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{
			PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: GeminiTTSVoice},
		}},
	})
	ttsUnits := ""
	if err == nil && gtts.UsageMetadata != nil {
		u := gtts.UsageMetadata
		ttsUnits = fmt.Sprintf("%d text tokens in, %d audio tokens out", u.PromptTokenCount, modalityTokens(u.CandidatesTokensDetails, genai.MediaModalityAudio))
	}
	add("text-to-speech", GeminiTTSModel, ttsUnits, err)

	// 6. A Live session: a text turn, then the spoken question as realtime audio.
	units, err := d.live(ctx, inst, urls, question)
	add("live session", LiveModel, units, err)
	return steps
}

// live runs a two-turn Live session against the emulated Gemini at urls.
func (d *Driver) live(ctx context.Context, inst *instrumentation.Instrumentation, urls ProviderURLs, wav []byte) (string, error) {
	u, err := url.Parse(urls.GeminiBaseURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("live: gemini base URL %q: %w", urls.GeminiBaseURL, err)
	}
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      urls.GeminiKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: "ws://" + u.Host, APIVersion: "v1beta"},
	})
	if err != nil {
		return "", fmt.Errorf("live client: %w", err)
	}
	s, err := genailive.Connect(ctx, inst, client, LiveModel, &genai.LiveConnectConfig{
		ResponseModalities: []genai.Modality{genai.ModalityAudio},
	})
	if err != nil {
		return "", err
	}
	defer s.Close()
	var in, out int32
	turn := func() error {
		for {
			msg, err := s.Receive()
			if err != nil {
				return err
			}
			if m := msg.UsageMetadata; m != nil {
				in += m.PromptTokenCount
				out += m.ResponseTokenCount
			}
			if msg.ServerContent != nil && msg.ServerContent.TurnComplete {
				return nil
			}
		}
	}
	if err := s.SendClientContent(genai.LiveClientContentInput{
		Turns: []*genai.Content{genai.NewContentFromText("Hello! Keep your answers short.", genai.RoleUser)},
	}); err != nil {
		return "", err
	}
	if err := turn(); err != nil {
		return "", err
	}
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: pcmOf(wav)}}); err != nil {
		return "", err
	}
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{AudioStreamEnd: true}); err != nil {
		return "", err
	}
	if err := turn(); err != nil {
		return "", err
	}
	return fmt.Sprintf("2 turns: %d prompt + %d response tokens", in, out), nil
}

// spokenSeconds is how long text takes to say at the emulator's speaking rate.
func spokenSeconds(text string) float64 {
	return float64(utf8.RuneCountInString(text)) / emulator.SpeechRate
}

// pcmOf returns the samples of a PCM WAV made by emulator.SpeechWAV.
func pcmOf(wav []byte) []byte {
	for b := wav[12:]; len(b) >= 8; {
		size := int(binary.LittleEndian.Uint32(b[4:8]))
		if string(b[:4]) == "data" {
			return b[8:min(8+size, len(b))]
		}
		b = b[min(8+size+size&1, len(b)):]
	}
	return nil
}

// modalityTokens sums the tokens of modality m in a per-modality list.
func modalityTokens(details []*genai.ModalityTokenCount, m genai.MediaModality) int32 {
	var n int32
	for _, d := range details {
		if d != nil && d.Modality == m {
			n += d.TokenCount
		}
	}
	return n
}

// decodeRaw reads fields an SDK type does not have from its raw JSON.
func decodeRaw(raw string, v any) error {
	if raw == "" {
		return errors.New("no JSON answer")
	}
	return json.Unmarshal([]byte(raw), v)
}

// PrintVoice writes the steps of a voice pipeline run as a table.
func PrintVoice(w io.Writer, steps []VoiceStep) {
	fmt.Fprintln(w, "Voice pipeline (what the SDKs handed the app; the reports below show each step's units and cost):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range steps {
		units := s.Units
		if s.Err != nil {
			units = "failed: " + errorLine(s.Err)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Step, s.Model, units)
	}
	tw.Flush()
}

// errorLine is the first line of err, with an SDK's HTTP status when it has one.
func errorLine(err error) string {
	var oe *openai.Error
	if errors.As(err, &oe) {
		return fmt.Sprintf("HTTP %d %s", oe.StatusCode, http.StatusText(oe.StatusCode))
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}
