package instrumentationtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aiusage/aiusage/instrumentation"
)

// surfaceBenchCase is a surface call: the request sent and the response answered.
type surfaceBenchCase struct {
	name, url, reqBody string
	base               memTransport
}

// surfaceBenchCases are calls of the provider surface: a Gemini API generateContent
// whose ~1 KB request is read for its service tier, a Vertex AI one on a regional host,
// an embeddings answer of 16 vectors of 768 values, and a finished batch poll with 20
// results sent twice.
func surfaceBenchCases() []surfaceBenchCase {
	prompt := strings.Repeat("Turn on the kitchen lights and set the thermostat. ", 20)
	genReq := fmt.Sprintf(`{"contents":[{"role":"user","parts":[{"text":%q}]}],"generationConfig":{},"serviceTier":"flex"}`, prompt)
	genResp := []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"` + strings.Repeat("The lights are on. ", 20) +
		`"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":260,"candidatesTokenCount":100,"totalTokenCount":500,"thoughtsTokenCount":140,"serviceTier":"flex"},"modelVersion":"gemini-2.5-flash","responseId":"abc"}`)
	vertexResp := []byte(strings.Replace(string(genResp), `"serviceTier":"flex"`, `"trafficType":"ON_DEMAND_FLEX"`, 1))
	var emb strings.Builder
	emb.WriteString(`{"embeddings":[`)
	for i := range 16 {
		if i > 0 {
			emb.WriteString(",")
		}
		emb.WriteString(`{"values":[`)
		for j := range 768 {
			if j > 0 {
				emb.WriteString(",")
			}
			fmt.Fprintf(&emb, "%.9f", float64(j%97)/97-0.5)
		}
		emb.WriteString("]}")
	}
	emb.WriteString(`],"usageMetadata":{"promptTokenCount":160,"promptTokenDetails":[{"modality":"TEXT","tokenCount":160}]}}`)
	var results strings.Builder
	for i := range 20 {
		if i > 0 {
			results.WriteString(",")
		}
		fmt.Fprintf(&results, `{"response":%s,"metadata":{"key":"%d"}}`, genResp, i)
	}
	batch := []byte(fmt.Sprintf(`{"name":"batches/b1","metadata":{"@type":"t","model":"models/gemini-2.5-flash","output":{"inlinedResponses":{"inlinedResponses":[%s]}},"batchStats":{"requestCount":"20","successfulRequestCount":"20"},"state":"BATCH_STATE_SUCCEEDED","name":"batches/b1"},"done":true,"response":{"@type":"t","inlinedResponses":{"inlinedResponses":[%[1]s]}}}`, results.String()))
	answer := func(ct string, body []byte, h ...string) memTransport {
		header := http.Header{"Content-Type": {ct}}
		for i := 0; i+1 < len(h); i += 2 {
			header.Set(h[i], h[i+1])
		}
		return memTransport{header: header, body: func() io.ReadCloser { return &eventReader{events: [][]byte{body}} }}
	}
	return []surfaceBenchCase{
		{"gemini_generate_tier", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", genReq,
			answer("application/json", genResp, "X-Gemini-Service-Tier", "FLEX")},
		{"vertex_generate_regional", "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", genReq,
			answer("application/json", vertexResp)},
		{"embeddings_16x768", "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-2:batchEmbedContents", `{"requests":[]}`,
			answer("application/json", []byte(emb.String()))},
		{"batch_poll_20_results", "https://generativelanguage.googleapis.com/v1beta/batches/b1", "",
			answer("application/json", batch)},
	}
}

// BenchmarkSurfaceTransport compares, in one run, the bare in-memory transport and ours
// on surface calls: the difference is the overhead per call, batch results recorded
// included (counted once: later polls of the same job only parse).
func BenchmarkSurfaceTransport(b *testing.B) {
	tp, mp := benchProviders()
	inst, err := instrumentation.New(instrumentation.WithTracerProvider(tp), instrumentation.WithMeterProvider(mp))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range surfaceBenchCases() {
		for _, t := range []namedTransport{{"bare", c.base}, {"aiusage", inst.Transport(c.base)}} {
			b.Run(c.name+"/"+t.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.reqBody)))
				for b.Loop() {
					method := http.MethodPost
					if c.reqBody == "" {
						method = http.MethodGet
					}
					req, _ := http.NewRequestWithContext(context.Background(), method, c.url, strings.NewReader(c.reqBody))
					resp, err := t.rt.RoundTrip(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			})
		}
	}
}
