// Command groq asks Groq a question through the openai-go SDK with the
// aiusage instrumentation linked, then prints the span it recorded (tokens,
// cost, rate limits) and the quota state.
//
//	GROQ_API_KEY=gsk_... go run ./examples/groq
//	GROQ_BASE_URL=http://127.0.0.1:8081/openai/v1 GROQ_API_KEY=any go run ./examples/groq   # against `aiusage emulate`
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aiusage/aiusage/examples/internal/report"
	"github.com/aiusage/aiusage/instrumentation"
)

func main() {
	key := os.Getenv("GROQ_API_KEY")
	if key == "" {
		log.Fatal("set GROQ_API_KEY (any value against the emulator)")
	}
	baseURL := envOr("GROQ_BASE_URL", "https://api.groq.com/openai/v1")
	model := envOr("GROQ_MODEL", "llama-3.1-8b-instant")

	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(report.Spans{W: os.Stdout}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	otel.SetTracerProvider(tp)

	var opts []instrumentation.Option
	if u, err := url.Parse(baseURL); err == nil && u.Host != "api.groq.com" {
		opts = append(opts, instrumentation.WithHost(u.Host, instrumentation.Groq)) // an emulator or proxy
	}

	// The three lines that link aiusage: the SDK's HTTP client goes through its transport.
	inst, err := instrumentation.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	httpClient := &http.Client{Transport: inst.Transport(nil)}
	client := openai.NewClient(option.WithHTTPClient(httpClient), option.WithBaseURL(baseURL), option.WithAPIKey(key))

	ctx := instrumentation.WithAttribution(context.Background(),
		instrumentation.Attribution{UserID: "user-1", ProjectID: "examples", Action: "groq-question"})
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("In one sentence: why is the sky blue?")},
	})
	if err != nil {
		log.Fatalf("chat completion: %v", err)
	}
	if len(resp.Choices) > 0 {
		fmt.Printf("answer: %s\n", resp.Choices[0].Message.Content)
	}
	report.Quota(os.Stdout, inst.Quota())
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
