package emulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Emulator answers as Groq and as Gemini. It is safe for concurrent use; all quota and
// prompt-cache state lives in it, so one Emulator is one organisation (Groq) and one
// project (Gemini).
type Emulator struct {
	cfg Config
	now func() time.Time

	mu          sync.Mutex
	ids         idSource
	groqQuota   map[string]*groqQuota
	geminiQuota map[string]*geminiQuota
	groqCache   promptCache
	geminiCache promptCache
	jobs        jobState // batch jobs and the files they read and write
	// groqAudioQuota holds the speech-to-text quotas, per model.
	groqAudioQuota map[string]*groqAudioQuota
}

// New returns an Emulator for cfg, or cfg's validation error.
func New(cfg Config) (*Emulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.GroqRegion == "" {
		cfg.GroqRegion = "us-east-1"
	}
	return &Emulator{
		cfg:            cfg,
		now:            now,
		groqQuota:      make(map[string]*groqQuota),
		groqAudioQuota: make(map[string]*groqAudioQuota),
		geminiQuota:    make(map[string]*geminiQuota),
	}, nil
}

// Servers is a running pair of emulator listeners, one per provider.
type Servers struct {
	// GroqURL is the Groq server's root, e.g. "http://127.0.0.1:8081"; SDKs take
	// GroqURL + "/openai/v1" as their base URL.
	GroqURL string
	// GeminiURL is the Gemini server's root, e.g. "http://127.0.0.1:8082"; the genai SDK
	// takes it as HTTPOptions.BaseURL.
	GeminiURL string
	// VertexURL is the Vertex AI server's root once StartVertex added it; the genai SDK
	// takes it as HTTPOptions.BaseURL with Backend Vertex AI.
	VertexURL string

	servers []*http.Server
	done    chan error
}

// Start listens on groqAddr and geminiAddr (host:port; port 0 picks a free one) and serves
// the two providers until Shutdown.
func (e *Emulator) Start(groqAddr, geminiAddr string) (*Servers, error) {
	groqLn, err := net.Listen("tcp", groqAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for groq on %q: %w", groqAddr, err)
	}
	geminiLn, err := net.Listen("tcp", geminiAddr)
	if err != nil {
		groqLn.Close()
		return nil, fmt.Errorf("listen for gemini on %q: %w", geminiAddr, err)
	}
	s := &Servers{
		GroqURL:   "http://" + groqLn.Addr().String(),
		GeminiURL: "http://" + geminiLn.Addr().String(),
		done:      make(chan error, 2),
	}
	for _, p := range []struct {
		ln net.Listener
		h  http.Handler
	}{{groqLn, e.GroqHandler()}, {geminiLn, e.GeminiHandler()}} {
		srv := &http.Server{Handler: p.h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go func() {
			err := srv.Serve(p.ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			s.done <- err
		}()
	}
	return s, nil
}

// Shutdown stops both listeners, waiting for open requests until ctx ends, and returns
// the first error either server stopped with.
func (s *Servers) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down emulator: %w", err))
		}
	}
	for range s.servers {
		if err := <-s.done; err != nil {
			errs = append(errs, fmt.Errorf("serve emulator: %w", err))
		}
	}
	return errors.Join(errs...)
}

// maxBodyBytes bounds a request body; real APIs refuse far larger prompts anyway.
const maxBodyBytes = 20 << 20

// writeJSON writes body as the whole response with the given status.
func writeJSON(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// writeAnswer writes a successful JSON answer, gzip-encoded when the client accepts it, as
// both providers do (Go's transport asks for gzip and undoes it unless the caller set
// Accept-Encoding itself, in which case the caller gets the raw gzip bytes).
func writeAnswer(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err == nil && zw.Close() == nil {
			w.Header().Set("Content-Encoding", "gzip")
			body = buf.Bytes()
		}
	}
	writeJSON(w, http.StatusOK, contentType, body)
}

// encode returns v as compact JSON. Response values built by this package hold only
// strings, counts and structs, slices and maps of them, which always encode; should one not,
// the client gets a JSON error object rather than the server panicking.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return encodeFailure(err)
	}
	return b
}

// encodeIndented returns v as JSON indented by two spaces and ending in a newline, the way
// Google's APIs write their bodies.
func encodeIndented(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return encodeFailure(err)
	}
	return append(b, '\n')
}

func encodeFailure(err error) []byte {
	b, _ := json.Marshal(map[string]map[string]string{"error": {"message": "emulator: encode response: " + err.Error()}})
	return b
}
