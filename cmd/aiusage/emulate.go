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
	fs.IntVar(&cfg.GeminiLimits.RequestsPerMinute, "gemini-rpm", 10, "Gemini requests per minute, per model (0: no limit)")
	fs.IntVar(&cfg.GeminiLimits.RequestsPerDay, "gemini-rpd", 250, "Gemini requests per day, per model (0: no limit)")
	fs.IntVar(&cfg.GeminiLimits.TokensPerMinute, "gemini-tpm", 250000, "Gemini input tokens per minute, per model (0: no limit)")
	fs.DurationVar(&cfg.ChunkDelay, "chunk-delay", 0, "pause between stream chunks, e.g. 20ms")
	fs.StringVar(&cfg.APIKey, "api-key", "", "the only API key accepted (default: any non-empty key)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.GroqLimits.RequestsPerDay <= 0 || cfg.GroqLimits.TokensPerMinute <= 0 {
		return errors.New("--groq-rpd and --groq-tpm must be positive: Groq always reports its limits")
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
