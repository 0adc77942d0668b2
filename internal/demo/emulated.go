package demo

import (
	"context"

	"github.com/aiusage/aiusage/internal/emulator"
)

// Emulated is a running emulator with the demo's limits and the URLs and keys the SDKs
// need to reach it.
type Emulated struct {
	URLs    ProviderURLs
	servers *emulator.Servers
}

// StartEmulator serves emulated Groq and Gemini on free loopback ports.
func StartEmulator() (*Emulated, error) {
	emu, err := emulator.New(EmulatorConfig())
	if err != nil {
		return nil, err
	}
	srv, err := emu.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := emu.StartVertex(srv, "127.0.0.1:0"); err != nil {
		_ = srv.Shutdown(context.Background())
		return nil, err
	}
	return &Emulated{
		URLs: ProviderURLs{
			GroqBaseURL: srv.GroqURL + "/openai/v1", GroqKey: "gsk_demo",
			GeminiBaseURL: srv.GeminiURL, GeminiKey: "AIza_demo",
			VertexBaseURL: srv.VertexURL,
		},
		servers: srv,
	}, nil
}

// Stop shuts the emulator down.
func (e *Emulated) Stop(ctx context.Context) error { return e.servers.Shutdown(ctx) }
