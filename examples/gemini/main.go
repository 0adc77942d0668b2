// Command gemini asks Gemini a question through the google.golang.org/genai
// SDK with the aiusage instrumentation linked, once whole and once streamed,
// then prints the spans it recorded (tokens, cost) and the quota state
// estimated against the limits configured below.
//
//	GEMINI_API_KEY=... go run ./examples/gemini
//	GEMINI_BASE_URL=http://127.0.0.1:8082 GEMINI_API_KEY=any go run ./examples/gemini   # against `aiusage emulate`
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genai"

	"github.com/aiusage/aiusage/examples/internal/report"
	"github.com/aiusage/aiusage/instrumentation"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

func main() {
	key := os.Getenv("GEMINI_API_KEY")
	if key == "" {
		log.Fatal("set GEMINI_API_KEY (any value against the emulator)")
	}
	baseURL := os.Getenv("GEMINI_BASE_URL")
	model := envOr("GEMINI_MODEL", "gemini-2.5-flash")

	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(report.Spans{W: os.Stdout}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	otel.SetTracerProvider(tp)

	// Gemini sends no rate-limit headers: usage is estimated against the
	// limits of your tier (these are the free tier's for 2.5 Flash).
	opts := []instrumentation.Option{instrumentation.WithLimits(quota.Limit{
		Provider: instrumentation.Gemini, Model: model,
		RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 250_000,
	})}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		opts = append(opts, instrumentation.WithHost(u.Host, instrumentation.Gemini)) // an emulator or proxy
	}

	// The three lines that link aiusage: the SDK's HTTP client goes through its transport.
	inst, err := instrumentation.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	httpClient := &http.Client{Transport: inst.Transport(nil)}
	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: key, Backend: genai.BackendGeminiAPI, HTTPClient: httpClient,
		HTTPOptions: genai.HTTPOptions{BaseURL: baseURL},
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx = instrumentation.WithAttribution(ctx,
		instrumentation.Attribution{UserID: "user-1", ProjectID: "examples", Action: "gemini-question"})
	resp, err := client.Models.GenerateContent(ctx, model, genai.Text("In one sentence: why is the sky blue?"), nil)
	if err != nil {
		log.Fatalf("generate content: %v", err)
	}
	fmt.Printf("answer: %s\n", resp.Text())

	var streamed strings.Builder
	for chunk, err := range client.Models.GenerateContentStream(ctx, model, genai.Text("Name three primary colours."), nil) {
		if err != nil {
			log.Fatalf("stream: %v", err)
		}
		streamed.WriteString(chunk.Text())
	}
	fmt.Printf("streamed answer: %s\n", streamed.String())
	report.Quota(os.Stdout, inst.Quota())
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
