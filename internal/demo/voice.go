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

// VoiceStep is one step of the voice pipeline: what it was, what the SDK returned (as
// the workload's calls are), and the units it is billed by as the app sees them.
type VoiceStep struct {
	Step    string
	Outcome Outcome
	// Units says what the step consumed, in the units it is billed by.
	Units string
}

// VoiceHTTPCalls is how many HTTP calls one voice pipeline run makes; its Live session
// is one more span (row) without an HTTP attempt.
const VoiceHTTPCalls = 5

// RunVoice runs the voice assistant's pipeline once through the real SDKs against the
// emulated providers in urls: a WAV made in-process goes to Groq speech-to-text
// (openai-go), a French one to Groq translation, the transcript to a chat call, the
// answer to text-to-speech on Groq and on Gemini (genai), and a two-turn Gemini Live
// session (genai, recorded by genailive). Each step is recorded by inst, attributed to a.
func (d *Driver) RunVoice(ctx context.Context, inst *instrumentation.Instrumentation, urls ProviderURLs, a instrumentation.Attribution) []VoiceStep {
	ctx = instrumentation.WithAttribution(ctx, a)
	var steps []VoiceStep
	add := func(step string, o Outcome, err error, units string) {
		if err != nil {
			o = failed(o, err)
		} else if o.Status == 0 {
			o.Status = http.StatusOK
		}
		steps = append(steps, VoiceStep{Step: step, Outcome: o, Units: units})
	}
	call := func(p instrumentation.Provider, model string) Outcome {
		return Outcome{Call: Call{Provider: p, Model: model, Attribution: a}}
	}

	// 1. Speech-to-text: the question, spoken, as a 16 kHz WAV the emulator "hears".
	// Billed by the seconds sent: the answer (json) does not say them.
	question := emulator.SpeechWAV(spokenSeconds(voiceQuestion), 16000, voiceQuestion)
	o := call(instrumentation.Groq, VoiceSTTModel)
	o.Units = &instrumentation.Usage{AudioSeconds: spokenSeconds(voiceQuestion)}
	tr, err := d.groq.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File:  openai.File(bytes.NewReader(question), "question.wav", "audio/wav"),
		Model: VoiceSTTModel,
	})
	transcript := voiceQuestion
	if err == nil {
		transcript, o.Text = strings.TrimSpace(tr.Text), tr.Text
	}
	add("speech-to-text", o, err, fmt.Sprintf("%.1f s of audio sent (json: no duration in the answer)", spokenSeconds(voiceQuestion)))

	// 2. Translation, verbose_json: the answer says the duration.
	french := emulator.SpeechWAV(spokenSeconds(voiceFrench), 16000, voiceFrench)
	o = call(instrumentation.Groq, VoiceTranslationModel)
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
		o.Text, o.Units = tl.Text, &instrumentation.Usage{AudioSeconds: verbose.Duration}
	}
	add("translation", o, err, fmt.Sprintf("%.2f s of audio (duration in the answer)", verbose.Duration))

	// 3. The assistant's answer.
	o = call(instrumentation.Groq, GroqReplyModel)
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
		o.ResponseModel, o.Text = chat.Model, answer
		o.InputTokens, o.OutputTokens = chat.Usage.PromptTokens, chat.Usage.CompletionTokens
		o.CachedInputTokens = chat.Usage.PromptTokensDetails.CachedTokens
		chatUnits = fmt.Sprintf("%d input + %d output tokens", chat.Usage.PromptTokens, chat.Usage.CompletionTokens)
	}
	add("chat", o, err, chatUnits)

	// 4. Text-to-speech on Groq: audio bytes back, billed per input character.
	o = call(instrumentation.Groq, VoiceTTSModel)
	chars := int64(utf8.RuneCountInString(answer))
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
		o.Units = &instrumentation.Usage{InputCharacters: chars}
	}
	add("text-to-speech", o, err, fmt.Sprintf("%d characters in, %d bytes of WAV out", chars, audioBytes))

	// 5. Text-to-speech on Gemini: audio output tokens.
	o = call(instrumentation.Gemini, GeminiTTSModel)
	gtts, err := d.gemini.Models.GenerateContent(ctx, GeminiTTSModel, genai.Text(answer), &genai.GenerateContentConfig{
		ResponseModalities: []string{string(genai.ModalityAudio)},
		SpeechConfig: &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{
			PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: GeminiTTSVoice},
		}},
	})
	ttsUnits := ""
	if err == nil && gtts.UsageMetadata != nil {
		m := gtts.UsageMetadata
		o.ResponseModel = gtts.ModelVersion
		o.InputTokens = int64(m.PromptTokenCount) + int64(m.ToolUsePromptTokenCount)
		o.OutputTokens = int64(m.CandidatesTokenCount) + int64(m.ThoughtsTokenCount)
		audioOut := int64(modalityTokens(m.CandidatesTokensDetails, genai.MediaModalityAudio))
		o.Units = &instrumentation.Usage{InputTokens: o.InputTokens, OutputTokens: o.OutputTokens, AudioOutputTokens: audioOut}
		ttsUnits = fmt.Sprintf("%d text tokens in, %d audio tokens out", m.PromptTokenCount, audioOut)
	}
	add("text-to-speech", o, err, ttsUnits)

	// 6. A Live session: a text turn, then the spoken question as realtime audio.
	o = call(instrumentation.Gemini, LiveModel)
	u, err := d.live(ctx, inst, urls, question)
	if err == nil {
		o.InputTokens, o.OutputTokens, o.Units = u.InputTokens, u.OutputTokens, &u
	}
	add("live session", o, err, fmt.Sprintf("2 turns: %d prompt + %d response tokens (%d + %d audio)", u.InputTokens, u.OutputTokens, u.AudioInputTokens, u.AudioOutputTokens))
	return steps
}

// live runs a two-turn Live session against the emulated Gemini at urls and returns
// its usage as the SDK handed it to the app, summed over the turns.
func (d *Driver) live(ctx context.Context, inst *instrumentation.Instrumentation, urls ProviderURLs, wav []byte) (instrumentation.Usage, error) {
	var sum instrumentation.Usage
	u, err := url.Parse(urls.GeminiBaseURL)
	if err != nil || u.Host == "" {
		return sum, fmt.Errorf("live: gemini base URL %q: %w", urls.GeminiBaseURL, err)
	}
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      urls.GeminiKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: "ws://" + u.Host, APIVersion: "v1beta"},
	})
	if err != nil {
		return sum, fmt.Errorf("live client: %w", err)
	}
	s, err := genailive.Connect(ctx, inst, client, LiveModel, &genai.LiveConnectConfig{
		ResponseModalities: []genai.Modality{genai.ModalityAudio},
	})
	if err != nil {
		return sum, err
	}
	defer s.Close()
	turn := func() error {
		for {
			msg, err := s.Receive()
			if err != nil {
				return err
			}
			if m := msg.UsageMetadata; m != nil {
				sum.InputTokens += int64(m.PromptTokenCount)
				sum.OutputTokens += int64(m.ResponseTokenCount)
				sum.AudioInputTokens += int64(modalityTokens(m.PromptTokensDetails, genai.MediaModalityAudio))
				sum.AudioOutputTokens += int64(modalityTokens(m.ResponseTokensDetails, genai.MediaModalityAudio))
			}
			if msg.ServerContent != nil && msg.ServerContent.TurnComplete {
				return nil
			}
		}
	}
	if err := s.SendClientContent(genai.LiveClientContentInput{
		Turns: []*genai.Content{genai.NewContentFromText("Hello! Keep your answers short.", genai.RoleUser)},
	}); err != nil {
		return sum, err
	}
	if err := turn(); err != nil {
		return sum, err
	}
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{Audio: &genai.Blob{MIMEType: "audio/pcm;rate=16000", Data: pcmOf(wav)}}); err != nil {
		return sum, err
	}
	if err := s.SendRealtimeInput(genai.LiveRealtimeInput{AudioStreamEnd: true}); err != nil {
		return sum, err
	}
	return sum, turn()
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
		if s.Outcome.Err != nil {
			units = "failed: " + errorLine(s.Outcome.Err)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Step, s.Outcome.Call.Model, units)
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
