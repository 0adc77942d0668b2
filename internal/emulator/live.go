package emulator

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Gemini Live: BidiGenerateContent over WebSocket, as the Gemini API serves it at
// /ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerateContent and
// Vertex AI at /ws/google.cloud.aiplatform.{version}.LlmBidiService/BidiGenerateContent.
//
// After the setup message and setupComplete, each completed turn (clientContent with
// turnComplete, or realtimeInput ending with audioStreamEnd or activityEnd) is answered
// with the reply (text, or 24 kHz PCM speech when the setup asked for AUDIO) and a
// turnComplete message that carries that turn's usageMetadata. Usage is per turn: the
// prompt is the whole conversation so far plus LiveOverheadTokens that the per-modality
// details do not list, so details and totals do not add up, as in real sessions. The
// Gemini API names output responseTokenCount and responseTokensDetails; Vertex AI
// candidatesTokenCount and candidatesTokensDetails. Audio in and out counts
// AudioTokensPerSecond tokens a second.

// LiveOverheadTokens are prompt tokens of every Live turn that no modality lists.
const LiveOverheadTokens = 23

// registerGeminiLive adds the Live endpoints to Gemini's mux.
func (e *Emulator) registerGeminiLive(mux *http.ServeMux) {
	mux.HandleFunc("GET /ws/{method}", func(w http.ResponseWriter, r *http.Request) {
		m := r.PathValue("method")
		if !strings.HasPrefix(m, "google.ai.generativelanguage.") || !strings.HasSuffix(m, ".GenerativeService.BidiGenerateContent") {
			writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
			return
		}
		e.geminiLive(w, r, false)
	})
	mux.HandleFunc("GET /ws/{service}/BidiGenerateContent", func(w http.ResponseWriter, r *http.Request) {
		if s := r.PathValue("service"); !strings.HasPrefix(s, "google.cloud.aiplatform.") || !strings.HasSuffix(s, ".LlmBidiService") {
			writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
			return
		}
		e.geminiLive(w, r, true)
	})
}

var liveUpgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// liveClientMessage is what a Live client sends.
type liveClientMessage struct {
	Setup *struct {
		Model            string            `json:"model"`
		GenerationConfig *generationConfig `json:"generationConfig"`
	} `json:"setup"`
	ClientContent *struct {
		Turns        []geminiContent `json:"turns"`
		TurnComplete bool            `json:"turnComplete"`
	} `json:"clientContent"`
	RealtimeInput *struct {
		Audio          *geminiBlob  `json:"audio"`
		MediaChunks    []geminiBlob `json:"mediaChunks"`
		Text           string       `json:"text"`
		AudioStreamEnd bool         `json:"audioStreamEnd"`
		ActivityEnd    *struct{}    `json:"activityEnd"`
	} `json:"realtimeInput"`
	ToolResponse json.RawMessage `json:"toolResponse"`
}

// liveUsage is a Live turn's usageMetadata in either API's names.
type liveUsage struct {
	PromptTokenCount        int             `json:"promptTokenCount,omitempty"`
	ResponseTokenCount      int             `json:"responseTokenCount,omitempty"`
	CandidatesTokenCount    int             `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount         int             `json:"totalTokenCount,omitempty"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails,omitempty"`
	ResponseTokensDetails   []modalityCount `json:"responseTokensDetails,omitempty"`
	CandidatesTokensDetails []modalityCount `json:"candidatesTokensDetails,omitempty"`
	TrafficType             string          `json:"trafficType,omitempty"`
}

// liveSession is one connection's conversation.
type liveSession struct {
	conn   *websocket.Conn
	vertex bool
	audio  bool // answers are spoken
	// The conversation so far, in tokens by modality, and the turn being sent.
	contextText, contextAudio int
	turnText, turnAudio       int
}

func (e *Emulator) geminiLive(w http.ResponseWriter, r *http.Request, vertex bool) {
	if vertex {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			writeGeminiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request is missing required authentication credential.", nil, errorPlain)
			return
		}
	} else if !e.geminiAuthorized(w, geminiKey(r), errorPlain) {
		return
	}
	conn, err := liveUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	defer conn.Close()
	s := &liveSession{conn: conn, vertex: vertex}
	for {
		var msg liveClientMessage
		if err := conn.ReadJSON(&msg); err != nil {
			return
		}
		switch {
		case msg.Setup != nil:
			gc := msg.Setup.GenerationConfig
			s.audio = gc != nil && speaks(gc)
			if s.send(map[string]any{"setupComplete": map[string]any{}}) != nil {
				return
			}
		case msg.ClientContent != nil:
			for _, t := range msg.ClientContent.Turns {
				for _, p := range t.Parts {
					s.input(p.Text, either(p.InlineData, p.InlineDataSnake))
				}
			}
			if msg.ClientContent.TurnComplete && s.answer() != nil {
				return
			}
		case msg.RealtimeInput != nil:
			in := msg.RealtimeInput
			s.input(in.Text, in.Audio)
			for i := range in.MediaChunks {
				s.input("", &in.MediaChunks[i])
			}
			if (in.AudioStreamEnd || in.ActivityEnd != nil || in.Text != "") && s.answer() != nil {
				return
			}
		}
	}
}

// input adds a turn's text or media to the conversation.
func (s *liveSession) input(text string, blob *geminiBlob) {
	if text != "" {
		s.turnText += CountTokens(text)
	}
	if blob == nil {
		return
	}
	data, err := base64.StdEncoding.DecodeString(blob.Data)
	if err != nil {
		return
	}
	if strings.HasPrefix(blob.MimeType, "audio/pcm") {
		rate := 16000
		if _, r, ok := strings.Cut(blob.MimeType, "rate="); ok {
			rate = max(atoiOr(r, rate), 1)
		}
		s.turnAudio += int(math.Round(float64(len(data)) / 2 / float64(rate) * AudioTokensPerSecond))
		return
	}
	n, modality := mediaTokens(blob)
	if modality == modalityAudio {
		s.turnAudio += n * AudioTokensPerSecond / AudioInputTokensPerSecond
	} else {
		s.turnText += n
	}
}

// answer replies to the turn and reports its usage.
func (s *liveSession) answer() error {
	s.contextText += s.turnText
	s.contextAudio += s.turnAudio
	replyTokens := ReplyTokens(s.turnText + s.turnAudio)
	reply := strings.Join(pieces(replyText, replyTokens), "")
	s.turnText, s.turnAudio = 0, 0

	var part map[string]any
	var out []modalityCount
	outTokens := replyTokens
	if s.audio {
		seconds := float64(utf8.RuneCountInString(reply)) / SpeechRate
		pcm := appendTone(nil, int(math.Round(seconds*speechSampleRate)), speechSampleRate)
		outTokens = int(math.Round(seconds * AudioTokensPerSecond))
		part = map[string]any{"inlineData": map[string]string{"mimeType": "audio/pcm;rate=24000", "data": base64.StdEncoding.EncodeToString(pcm)}}
		out = []modalityCount{{modalityAudio, outTokens}}
	} else {
		part = map[string]any{"text": reply}
		out = textCount(outTokens)
	}
	if err := s.send(map[string]any{"serverContent": map[string]any{"modelTurn": map[string]any{"role": "model", "parts": []any{part}}}}); err != nil {
		return err
	}
	u := liveUsage{
		PromptTokenCount:    s.contextText + s.contextAudio + LiveOverheadTokens,
		PromptTokensDetails: textCount(s.contextText),
	}
	if s.contextAudio > 0 {
		u.PromptTokensDetails = append(u.PromptTokensDetails, modalityCount{modalityAudio, s.contextAudio})
	}
	u.TotalTokenCount = u.PromptTokenCount + outTokens
	if s.vertex {
		u.CandidatesTokenCount, u.CandidatesTokensDetails, u.TrafficType = outTokens, out, "ON_DEMAND"
	} else {
		u.ResponseTokenCount, u.ResponseTokensDetails = outTokens, out
	}
	// The answer joins the conversation the next turn's prompt holds.
	if s.audio {
		s.contextAudio += outTokens
	} else {
		s.contextText += outTokens
	}
	return s.send(map[string]any{"serverContent": map[string]any{"turnComplete": true}, "usageMetadata": u})
}

func (s *liveSession) send(v any) error {
	return s.conn.WriteMessage(websocket.TextMessage, encode(v))
}

// atoiOr parses a leading decimal number of s, or returns def.
func atoiOr(s string, def int) int {
	n, ok := 0, false
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e8 {
			break
		}
		n, ok = n*10+int(c-'0'), true
	}
	if !ok {
		return def
	}
	return n
}
