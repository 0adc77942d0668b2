package response

import (
	"testing"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/instrumentation/usage"
)

// TestSurfaceParser reads real bodies of the provider surface; the expected values are
// read from the testdata files by hand.
func TestSurfaceParser(t *testing.T) {
	geminiBatchResults := []Result{{
		Model: "gemini-2.5-flash", ID: "xr-FavMd3JGa2Q-swqfYBw", FinishReasons: []string{"STOP"},
		Usage:    usage.Usage{InputTokens: 13, OutputTokens: 1 + 43, ReasoningOutputTokens: 43},
		Reported: Reported{Prompt: 13, Candidates: 1, Thoughts: 43, Total: 57}, HasUsage: true,
		ServiceTier: semconv.ServiceTierStandard,
	}, {
		Model: "gemini-2.5-flash", ID: "UMCFarbOEOqsz7IPvIHruQ0", FinishReasons: []string{"STOP"},
		Usage:    usage.Usage{InputTokens: 13, OutputTokens: 1 + 53, ReasoningOutputTokens: 53},
		Reported: Reported{Prompt: 13, Candidates: 1, Thoughts: 53, Total: 67}, HasUsage: true,
		ServiceTier: semconv.ServiceTierStandard,
	}}
	tests := []struct {
		name     string
		file     string
		dialect  Dialect
		ct       string
		complete bool
		want     Result
	}{
		{
			name: "vertex generateContent served at flex", file: "vertex_flex.json", dialect: GeminiNative, ct: ctJSON, complete: true,
			want: Result{
				Model: "gemini-3-flash-preview", ID: "T9--adqvDqL4vdIPz7X2iQ4", FinishReasons: []string{"STOP"},
				Usage:    usage.Usage{InputTokens: 5, OutputTokens: 1 + 51, ReasoningOutputTokens: 51},
				Reported: Reported{Prompt: 5, Candidates: 1, Thoughts: 51, Total: 57}, HasUsage: true,
				ServiceTier: semconv.ServiceTierFlex, // trafficType ON_DEMAND_FLEX
			},
		},
		{
			name: "vertex stream served at flex", file: "vertex_flex_stream.sse", dialect: GeminiNative, ct: ctSSE, complete: true,
			want: Result{
				Model: "gemini-3-flash-preview", ID: "a9--aa6MOKL4vdIPz7X2iQ4", FinishReasons: []string{"STOP"},
				Usage:    usage.Usage{InputTokens: 5, OutputTokens: 1 + 100, ReasoningOutputTokens: 100},
				Reported: Reported{Prompt: 5, Candidates: 1, Thoughts: 100, Total: 106}, HasUsage: true,
				Stream: true, Chunks: 1, ServiceTier: semconv.ServiceTierFlex,
			},
		},
		{
			name: "grounding on the Gemini API: one query", file: "gemini_grounding.json", dialect: GeminiNative, ct: ctJSON, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "_L6Fasi-MPKIvdIPus2M-Qc", FinishReasons: []string{"STOP"},
				Usage:    usage.Usage{InputTokens: 10 + 73, OutputTokens: 30 + 109, ReasoningOutputTokens: 109, WebSearchQueries: 1},
				Reported: Reported{Prompt: 10, Candidates: 30, Thoughts: 109, ToolUsePrompt: 73, Total: 222}, HasUsage: true,
				ServiceTier: semconv.ServiceTierStandard,
			},
		},
		{
			name: "grounding on Vertex AI: the same prompt, two queries", file: "vertex_grounding.json", dialect: GeminiNative, ct: ctJSON, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "Ab-FarqaC7DYxN8P5tHjyAs", FinishReasons: []string{"STOP"},
				Usage:    usage.Usage{InputTokens: 9 + 61, OutputTokens: 27 + 221, ReasoningOutputTokens: 221, WebSearchQueries: 2},
				Reported: Reported{Prompt: 9, Candidates: 27, Thoughts: 221, ToolUsePrompt: 61, Total: 318}, HasUsage: true,
				ServiceTier: semconv.ServiceTierStandard,
			},
		},
		{
			name: "grounded stream: the queries come in the last event only", file: "gemini_grounding_stream.sse", dialect: GeminiNative, ct: ctSSE, complete: true,
			want: Result{
				Model: "gemini-2.5-pro", ID: "ftnJaMmAMcm-qtsPwvCCoAo", FinishReasons: []string{"STOP"},
				Usage:    usage.Usage{InputTokens: 17 + 102, OutputTokens: 241 + 412, ReasoningOutputTokens: 412, WebSearchQueries: 1},
				Reported: Reported{Prompt: 17, Candidates: 241, Thoughts: 412, ToolUsePrompt: 102, Total: 772}, HasUsage: true,
				Stream: true, Chunks: 10,
			},
		},
		{
			name: "countTokens is no usage", file: "gemini_count_tokens.json", dialect: GeminiNative, ct: ctJSON, complete: true,
			want: Result{},
		},
		{
			name: "gemini-embedding-001 on the Gemini API reports no usage", file: "gemini_embed_no_usage.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{},
		},
		{
			name: "gemini-embedding-2: singular promptTokenDetails, no total", file: "gemini_embed_singular_details.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{Usage: usage.Usage{InputTokens: 7}, Reported: Reported{Prompt: 7}, HasUsage: true},
		},
		{
			name: "gemini-embedding-2 with an image: the image part of the input", file: "gemini_embed_image.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{Usage: usage.Usage{InputTokens: 261, ImageInputTokens: 258}, Reported: Reported{Prompt: 261}, HasUsage: true},
		},
		{
			name: "vertex embedContent: plural details and a total", file: "vertex_embed_content.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{Usage: usage.Usage{InputTokens: 11}, Reported: Reported{Prompt: 11, Total: 11}, HasUsage: true},
		},
		{
			name: "vertex predict, gemini-embedding-001: token_count and billable characters", file: "vertex_predict_embedding_001.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{Usage: usage.Usage{InputTokens: 4, InputCharacters: 12}, HasUsage: true},
		},
		{
			name: "vertex predict, text-embedding-004", file: "vertex_predict_text_embedding_004.json", dialect: GeminiEmbeddings, ct: ctJSON, complete: true,
			want: Result{Usage: usage.Usage{InputTokens: 10, InputCharacters: 29}, HasUsage: true},
		},
		{
			name: "explicit cache created on the Gemini API", file: "gemini_cached_content.json", dialect: GeminiCachedContent, ct: ctJSON, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "cachedContents/1e9odc8cm11aab2truxzl4pdxjjxtss4k3gvture",
				Usage: usage.Usage{InputTokens: 9609}, Reported: Reported{Total: 9609}, HasUsage: true,
			},
		},
		{
			name: "explicit cache created on Vertex AI", file: "vertex_cached_content.json", dialect: GeminiCachedContent, ct: ctJSON, complete: true,
			want: Result{
				Model: "gemini-2.5-flash", ID: "projects/56641835022/locations/<GOOGLE_CLOUD_LOCATION>/cachedContents/8527774415088254976",
				Usage: usage.Usage{InputTokens: 9602}, Reported: Reported{Total: 9602}, HasUsage: true,
			},
		},
		{
			name: "Responses API", file: "responses.json", dialect: OpenAIResponses, ct: ctJSON, complete: true,
			want: Result{
				Model: "gpt-5-nano-2025-08-07", ID: "resp_034690d6c7279fd5016a85c10a8ae487d2a188d8842f0dba32", FinishReasons: []string{"completed"},
				Usage:    usage.Usage{InputTokens: 18, OutputTokens: 109, ReasoningOutputTokens: 64},
				Reported: Reported{Total: 127}, HasUsage: true,
			},
		},
		{
			name: "Responses API stream: usage in response.completed", file: "responses_stream.sse", dialect: OpenAIResponses, ct: ctSSE, complete: true,
			want: Result{
				Model: "gpt-5-2025-08-07", ID: "resp_0050471a34b36ae60068c97b94a480819587a9d70cf2979b33", FinishReasons: []string{"completed"},
				Usage:    usage.Usage{InputTokens: 53, OutputTokens: 469, ReasoningOutputTokens: 448},
				Reported: Reported{Total: 522}, HasUsage: true, Stream: true, Chunks: 14,
				ServiceTier: semconv.ServiceTierFlex,
			},
		},
		{
			name: "Responses API stream closed after response.completed is whole", file: "responses_stream.sse", dialect: OpenAIResponses, ct: ctSSE, complete: false,
			want: Result{
				Model: "gpt-5-2025-08-07", ID: "resp_0050471a34b36ae60068c97b94a480819587a9d70cf2979b33", FinishReasons: []string{"completed"},
				Usage:    usage.Usage{InputTokens: 53, OutputTokens: 469, ReasoningOutputTokens: 448},
				Reported: Reported{Total: 522}, HasUsage: true, Stream: true, Chunks: 14,
				ServiceTier: semconv.ServiceTierFlex,
			},
		},
		{
			name: "Gemini batch just created", file: "gemini_batch_pending.json", dialect: BatchJob, ct: ctJSON, complete: true,
			want: Result{ID: "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", Batch: &Batch{
				Job: "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", Model: "gemini-2.5-flash", State: "BATCH_STATE_PENDING",
				Requests: 2, HasCounts: true,
			}},
		},
		{
			name: "Gemini batch done: results read once though sent twice", file: "gemini_batch_done.json", dialect: BatchJob, ct: ctJSON, complete: true,
			want: Result{ID: "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", Batch: &Batch{
				Job: "batches/31u18uq6dr4ods3957z38i1mbfa581k01xcq", Model: "gemini-2.5-flash", State: "BATCH_STATE_SUCCEEDED", Done: true,
				Requests: 2, Succeeded: 2, HasCounts: true, Results: geminiBatchResults,
			}},
		},
		{
			name: "OpenAI-compatible batch object", file: "openai_batch_completed.json", dialect: BatchJob, ct: ctJSON, complete: true,
			want: Result{ID: "batch_6a85c08a63188190982c56b42faa4ff5", Batch: &Batch{
				Job: "batch_6a85c08a63188190982c56b42faa4ff5", State: "completed", Done: true,
				Requests: 2, Succeeded: 2, HasCounts: true, ResultsFile: "file-4SnbT9qu8ShH2A1wCvTHNp",
			}},
		},
		{
			name: "batch output file: one result per line", file: "openai_batch_output.jsonl", dialect: BatchFile, ct: "application/octet-stream", complete: true,
			want: Result{Batch: &Batch{Results: []Result{{
				Model: "gpt-5-nano-2025-08-07", ID: "resp_034690d6c7279fd5016a85c10a8ae487d2a188d8842f0dba32", FinishReasons: []string{"completed"},
				Usage: usage.Usage{InputTokens: 18, OutputTokens: 109, ReasoningOutputTokens: 64}, Reported: Reported{Total: 127}, HasUsage: true,
			}, {
				Model: "gpt-5-nano-2025-08-07", ID: "resp_0071839b503dc1a2016a85c0cd3c9881a2a6cb566a28f223f1", FinishReasons: []string{"completed"},
				Usage: usage.Usage{InputTokens: 18, OutputTokens: 115, ReasoningOutputTokens: 64}, Reported: Reported{Total: 133}, HasUsage: true,
			}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkSplits(t, tt.dialect, 200, tt.ct, readTestdata(t, "surface/"+tt.file), tt.complete, tt.want)
		})
	}
}

// TestSurfaceParserInline covers shapes the recordings do not show.
func TestSurfaceParserInline(t *testing.T) {
	tests := []struct {
		name    string
		dialect Dialect
		status  int
		ct      string
		body    string
		want    Result
	}{
		{
			name: "predict token counts written as floats", dialect: GeminiEmbeddings, status: 200, ct: ctJSON,
			body: `{"predictions":[{"embeddings":{"statistics":{"token_count":4.0},"values":[0.1]}},{"embeddings":{"statistics":{"token_count":6},"values":[]}}],"metadata":{"billableCharacterCount":30}}`,
			want: Result{Usage: usage.Usage{InputTokens: 10, InputCharacters: 30}, HasUsage: true},
		},
		{
			name: "characters without token counts leave the tokens unknown", dialect: GeminiEmbeddings, status: 200, ct: ctJSON,
			body: `{"predictions":[{"embeddings":{"values":[0.1]}}],"metadata":{"billableCharacterCount":30}}`,
			want: Result{},
		},
		{
			name: "predict token count that is not whole", dialect: GeminiEmbeddings, status: 200, ct: ctJSON,
			body: `{"predictions":[{"embeddings":{"statistics":{"token_count":4.5}}}]}`,
			want: Result{ParseError: ParseInvalidJSON},
		},
		{
			name: "embeddings error", dialect: GeminiEmbeddings, status: 400, ct: ctJSON,
			body: `{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}`,
			want: Result{Error: &APIError{Status: 400, Type: "INVALID_ARGUMENT", Code: "400", Message: "bad"}},
		},
		{
			name: "a stream chunk without grounding keeps the queries seen", dialect: GeminiNative, status: 200, ct: ctSSE,
			body: "data: {\"candidates\":[{\"groundingMetadata\":{\"webSearchQueries\":[\"a\",\"b\"]}}]}\n\n" +
				"data: {\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"serviceTier\":\"PRIORITY\"}}\n\n",
			want: Result{FinishReasons: []string{"STOP"}, Usage: usage.Usage{InputTokens: 3, OutputTokens: 2, WebSearchQueries: 2},
				Reported: Reported{Prompt: 3, Candidates: 2}, HasUsage: true, Stream: true, Chunks: 2, ServiceTier: semconv.ServiceTierPriority},
		},
		{
			name: "queries without usage are not a usage", dialect: GeminiNative, status: 200, ct: ctJSON,
			body: `{"candidates":[{"groundingMetadata":{"webSearchQueries":["a"]}}]}`,
			want: Result{},
		},
		{
			name: "vertex traffic type with no price tier", dialect: GeminiNative, status: 200, ct: ctJSON,
			body: `{"usageMetadata":{"promptTokenCount":1,"trafficType":"ON_DEMAND_OFFPEAK"}}`,
			want: Result{Usage: usage.Usage{InputTokens: 1}, Reported: Reported{Prompt: 1}, HasUsage: true},
		},
		{
			name: "provisioned throughput", dialect: GeminiNative, status: 200, ct: ctJSON,
			body: `{"usageMetadata":{"promptTokenCount":1,"trafficType":"PROVISIONED_THROUGHPUT"}}`,
			want: Result{Usage: usage.Usage{InputTokens: 1}, Reported: Reported{Prompt: 1}, HasUsage: true, ServiceTier: semconv.ServiceTierProvisioned},
		},
		{
			name: "Responses API stream that failed", dialect: OpenAIResponses, status: 200, ct: ctSSE,
			body: "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"openai/gpt-oss-20b\",\"status\":\"in_progress\",\"usage\":null}}\n\n" +
				"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"},\"usage\":null}}\n\n",
			want: Result{Model: "openai/gpt-oss-20b", ID: "resp_1", FinishReasons: []string{"failed"}, Stream: true, Chunks: 2,
				Error: &APIError{Status: 200, Code: "server_error", Message: "boom"}},
		},
		{
			name: "Responses API error event", dialect: OpenAIResponses, status: 200, ct: ctSSE,
			body: "event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}\n\n",
			want: Result{Stream: true, Chunks: 1, Error: &APIError{Status: 200, Type: "error", Code: "rate_limit_exceeded", Message: "slow down"}},
		},
		{
			name: "Responses API cached input", dialect: OpenAIResponses, status: 200, ct: ctJSON,
			body: `{"id":"resp_2","object":"response","model":"openai/gpt-oss-120b","status":"completed","service_tier":"on_demand","usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":256},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":350}}`,
			want: Result{Model: "openai/gpt-oss-120b", ID: "resp_2", FinishReasons: []string{"completed"},
				Usage:    usage.Usage{InputTokens: 300, OutputTokens: 50, CacheReadInputTokens: 256, ReasoningOutputTokens: 20},
				Reported: Reported{Total: 350}, HasUsage: true, ServiceTier: semconv.ServiceTierStandard},
		},
		{
			name: "Groq batch results file: chat completions, a failed request", dialect: BatchFile, status: 200, ct: "application/octet-stream",
			body: `{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"req_1","body":{"id":"chatcmpl-1","model":"llama-3.1-8b-instant","choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":10,"total_tokens":50}}},"error":null}` + "\r\n" +
				`{"id":"batch_req_2","custom_id":"b","response":{"status_code":400,"request_id":"req_2","body":{"error":{"message":"bad model","type":"invalid_request_error","code":"model_not_found"}}},"error":null}` + "\n\n" +
				`{"id":"batch_req_3","custom_id":"c","response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}`,
			want: Result{Batch: &Batch{Results: []Result{
				{Model: "llama-3.1-8b-instant", ID: "chatcmpl-1", FinishReasons: []string{"stop"}, Usage: usage.Usage{InputTokens: 40, OutputTokens: 10}, Reported: Reported{Total: 50}, HasUsage: true},
				{Error: &APIError{Status: 200, Type: "invalid_request_error", Code: "model_not_found", Message: "bad model"}},
				{Error: &APIError{Code: "batch_expired", Message: "This request could not be executed before the completion window expired."}},
			}}},
		},
		{
			name: "Gemini responses file line with an error", dialect: BatchFile, status: 200, ct: ctJSON,
			body: `{"key":"r1","response":{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2},"modelVersion":"gemini-2.5-flash"}}` + "\n" +
				`{"key":"r2","error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}` + "\n",
			want: Result{Batch: &Batch{Results: []Result{
				{Model: "gemini-2.5-flash", FinishReasons: []string{"STOP"}, Usage: usage.Usage{InputTokens: 5, OutputTokens: 2}, Reported: Reported{Prompt: 5, Candidates: 2}, HasUsage: true},
				{Error: &APIError{Status: 400, Type: "INVALID_ARGUMENT", Code: "400", Message: "bad"}},
			}}},
		},
		{
			name: "a downloaded file that is not results says nothing", dialect: BatchFile, status: 200, ct: "video/mp4",
			body: "\x00\x00\x00\x18ftypmp42",
			want: Result{},
		},
		{
			name: "an uploaded input file holds no results", dialect: BatchFile, status: 200, ct: "application/octet-stream",
			body: `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}` + "\n",
			want: Result{},
		},
		{
			name: "results file not found", dialect: BatchFile, status: 404, ct: ctJSON,
			body: "{\n  \"error\": {\"message\": \"file not found\", \"type\": \"invalid_request_error\"}\n}\n",
			want: Result{Error: &APIError{Status: 404, Type: "invalid_request_error", Message: "file not found"}},
		},
		{
			name: "a failed Gemini batch", dialect: BatchJob, status: 200, ct: ctJSON,
			body: `{"name":"batches/x","metadata":{"state":"BATCH_STATE_FAILED","batchStats":{"requestCount":"3","failedRequestCount":"3"}},"done":true,"error":{"code":13,"message":"internal"}}`,
			want: Result{ID: "batches/x",
				Batch: &Batch{Job: "batches/x", State: "BATCH_STATE_FAILED", Done: true, Requests: 3, Failed: 3, HasCounts: true}},
		},
		{
			name: "a batch count that is not a number", dialect: BatchJob, status: 200, ct: ctJSON,
			body: `{"name":"batches/x","metadata":{"batchStats":{"requestCount":"many"}}}`,
			want: Result{ID: "batches/x", ParseError: ParseInvalidJSON, Batch: &Batch{Job: "batches/x"}},
		},
		{
			name: "a Groq batch's own metadata says nothing of the job", dialect: BatchJob, status: 200, ct: ctJSON,
			body: `{"id":"batch_1","object":"batch","status":"in_progress","metadata":{"model":"mine"},"request_counts":{"total":5,"completed":1,"failed":0}}`,
			want: Result{ID: "batch_1", Batch: &Batch{Job: "batch_1", State: "in_progress", Requests: 5, Succeeded: 1, HasCounts: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkSplits(t, tt.dialect, tt.status, tt.ct, []byte(tt.body), true, tt.want)
		})
	}
}

// TestTierNames maps the tier names each provider writes to the recorded values.
func TestTierNames(t *testing.T) {
	for _, tt := range []struct {
		fn   func(string) string
		in   string
		want string
	}{
		{GeminiTier, "standard", semconv.ServiceTierStandard},
		{GeminiTier, "FLEX", semconv.ServiceTierFlex},
		{GeminiTier, " Priority ", semconv.ServiceTierPriority},
		{GeminiTier, "unspecified", ""},
		{GeminiTier, "on_demand", ""},
		{VertexTrafficTier, "ON_DEMAND", semconv.ServiceTierStandard},
		{VertexTrafficTier, "ON_DEMAND_FLEX", semconv.ServiceTierFlex},
		{VertexTrafficTier, "ON_DEMAND_PRIORITY", semconv.ServiceTierPriority},
		{VertexTrafficTier, "PROVISIONED_THROUGHPUT", semconv.ServiceTierProvisioned},
		{VertexTrafficTier, "ON_DEMAND_OFFPEAK", ""},
		{GroqTier, "on_demand", semconv.ServiceTierStandard},
		{GroqTier, "flex", semconv.ServiceTierFlex},
		{GroqTier, "auto", ""},
		{GroqTier, "default", ""},
	} {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%q -> %q, want %q", tt.in, got, tt.want)
		}
	}
}
