package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aiusage/aiusage/internal/emulator"
)

// runEmulate serves the Groq and Gemini emulators until ctx is done.
func runEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: aiusage emulate [flags]\n\nServe Groq- and Gemini-compatible APIs with deterministic usage and real quota behaviour.\n\nflags:")
		fs.PrintDefaults()
	}
	groqAddr := fs.String("groq-addr", "127.0.0.1:8081", "listen address of the Groq emulator (host:port)")
	geminiAddr := fs.String("gemini-addr", "127.0.0.1:8082", "listen address of the Gemini emulator (host:port)")
	var cfg emulator.Config
	fs.IntVar(&cfg.GroqLimits.RequestsPerDay, "groq-rpd", emulator.DefaultGroqLimits.RequestsPerDay, "Groq requests per day, per model")
	fs.IntVar(&cfg.GroqLimits.TokensPerMinute, "groq-tpm", emulator.DefaultGroqLimits.TokensPerMinute, "Groq tokens per minute, per model")
	fs.IntVar(&cfg.GeminiLimits.RequestsPerMinute, "gemini-rpm", emulator.FreeTierGeminiLimits.RequestsPerMinute, "Gemini requests per minute, per model (0: no limit)")
	fs.IntVar(&cfg.GeminiLimits.RequestsPerDay, "gemini-rpd", emulator.FreeTierGeminiLimits.RequestsPerDay, "Gemini requests per day, per model (0: no limit)")
	fs.IntVar(&cfg.GeminiLimits.TokensPerMinute, "gemini-tpm", emulator.FreeTierGeminiLimits.TokensPerMinute, "Gemini input tokens per minute, per model (0: no limit)")
	fs.DurationVar(&cfg.ChunkDelay, "chunk-delay", 0, "pause between stream chunks, e.g. 20ms")
	fs.StringVar(&cfg.APIKey, "api-key", "", "the only API key accepted (default: any non-empty key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var bad []error
	for _, f := range []struct {
		name       string
		value, min int // Groq always reports its limits, so they cannot be off (0)
	}{
		{"groq-rpd", cfg.GroqLimits.RequestsPerDay, 1},
		{"groq-tpm", cfg.GroqLimits.TokensPerMinute, 1},
		{"gemini-rpm", cfg.GeminiLimits.RequestsPerMinute, 0},
		{"gemini-rpd", cfg.GeminiLimits.RequestsPerDay, 0},
		{"gemini-tpm", cfg.GeminiLimits.TokensPerMinute, 0},
	} {
		if f.value < f.min {
			bad = append(bad, fmt.Errorf("--%s: must be at least %d, got %d", f.name, f.min, f.value))
		}
	}
	if cfg.ChunkDelay < 0 {
		bad = append(bad, fmt.Errorf("--chunk-delay: must not be negative, got %v", cfg.ChunkDelay))
	}
	if err := errors.Join(bad...); err != nil {
		return err
	}

	emu, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	servers, err := emu.Start(*groqAddr, *geminiAddr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "groq:   %s/openai/v1  (%d requests/day, %d tokens/min per model)\n",
		servers.GroqURL, cfg.GroqLimits.RequestsPerDay, cfg.GroqLimits.TokensPerMinute)
	fmt.Fprintf(stdout, "gemini: %s  (%s requests/min, %s requests/day, %s input tokens/min per model)\n",
		servers.GeminiURL, limit(cfg.GeminiLimits.RequestsPerMinute), limit(cfg.GeminiLimits.RequestsPerDay), limit(cfg.GeminiLimits.TokensPerMinute))
	fmt.Fprintln(stdout, "serving until interrupted")

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return servers.Shutdown(shutdownCtx)
}

// limit prints a Gemini limit, where 0 means none.
func limit(n int) string {
	if n == 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}
