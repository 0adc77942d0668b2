package emulator

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Batch jobs finish on their second poll: the first poll after creation finds a job
// running, the second finds it done with its results. A test or the demo so sees every
// state a real job goes through without waiting for one.
const batchPollsToFinish = 2

// jobState holds the batch jobs of both providers and the files Groq's jobs read and
// write. e.mu guards it.
type jobState struct {
	gemini map[string]*geminiBatch
	groq   map[string]*groqBatch
	files  map[string]*groqFile
}

// geminiBatch is one batchGenerateContent job.
type geminiBatch struct {
	name, model, displayName string
	created, ended           time.Time
	requests                 []geminiBatchRequest
	polls                    int
}

// geminiBatchRequest is one request of a job, as it will be answered.
type geminiBatchRequest struct {
	metadata json.RawMessage
	call     *geminiCall
}

// geminiBatchBody is a batchGenerateContent request.
type geminiBatchBody struct {
	Batch struct {
		DisplayName string `json:"displayName"`
		InputConfig struct {
			Requests struct {
				Requests []struct {
					Request  json.RawMessage `json:"request"`
					Metadata json.RawMessage `json:"metadata"`
				} `json:"requests"`
			} `json:"requests"`
		} `json:"inputConfig"`
	} `json:"batch"`
}

// batchGenerateContent serves POST /{version}/models/{model}:batchGenerateContent with
// inline requests: it answers the job's long-running operation, pending.
func (e *Emulator) batchGenerateContent(w http.ResponseWriter, r *http.Request, model string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var req geminiBatchBody
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Invalid JSON payload received. %v", err), nil, errorPlain)
		return
	}
	in := req.Batch.InputConfig.Requests.Requests
	if len(in) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* BatchGenerateContentRequest.batch.input_config: requests is not specified", nil, errorPlain)
		return
	}
	b := &geminiBatch{model: model, displayName: req.Batch.DisplayName}
	for i, q := range in {
		sub, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", strings.NewReader(string(q.Request)))
		if err == nil {
			var call *geminiCall
			call, err = readGeminiRequest(w, sub, model)
			b.requests = append(b.requests, geminiBatchRequest{metadata: q.Metadata, call: call})
		}
		if err != nil {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("* requests[%d]: %v", i, err), nil, errorPlain)
			return
		}
	}
	e.mu.Lock()
	b.created = e.now().UTC()
	b.name = "batches/" + strings.ToLower(geminiResponseID(e.ids.next()))
	if e.jobs.gemini == nil {
		e.jobs.gemini = make(map[string]*geminiBatch)
	}
	e.jobs.gemini[b.name] = b
	op := b.operation()
	e.mu.Unlock()
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(op))
}

// getBatch serves GET /{version}/batches/{id}: running at the first poll, done from the
// second on, its results in the operation twice (metadata.output and response), as the
// Gemini API sends them.
func (e *Emulator) getBatch(w http.ResponseWriter, r *http.Request) {
	if !e.geminiAuthorized(w, geminiKey(r), errorPlain) {
		return
	}
	e.mu.Lock()
	b := e.jobs.gemini["batches/"+r.PathValue("id")]
	var op any
	if b != nil {
		b.polls++
		if b.polls >= batchPollsToFinish && b.ended.IsZero() {
			b.ended = e.now().UTC()
		}
		op = b.operation()
	}
	e.mu.Unlock()
	if b == nil {
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil, errorPlain)
		return
	}
	setGoogleHeaders(w.Header())
	writeAnswer(w, r, "application/json; charset=UTF-8", encodeIndented(op))
}

// batchOperation is a job's long-running operation.
type batchOperation struct {
	Name     string          `json:"name"`
	Metadata batchMetadata   `json:"metadata"`
	Done     bool            `json:"done,omitempty"`
	Response *batchResponses `json:"response,omitempty"`
}

type batchMetadata struct {
	Type        string            `json:"@type"`
	Model       string            `json:"model"`
	DisplayName string            `json:"displayName,omitempty"`
	Output      *batchResponses   `json:"output,omitempty"`
	CreateTime  string            `json:"createTime"`
	EndTime     string            `json:"endTime,omitempty"`
	UpdateTime  string            `json:"updateTime"`
	BatchStats  map[string]string `json:"batchStats"`
	State       string            `json:"state"`
	Name        string            `json:"name"`
}

type batchResponses struct {
	Type             string `json:"@type,omitempty"`
	InlinedResponses struct {
		InlinedResponses []inlinedResponse `json:"inlinedResponses"`
	} `json:"inlinedResponses"`
}

type inlinedResponse struct {
	Response geminiResponse  `json:"response"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// operation is b's operation now. Request counts are strings, as the API writes them.
// e.mu must be held.
func (b *geminiBatch) operation() batchOperation {
	n := strconv.Itoa(len(b.requests))
	op := batchOperation{Name: b.name, Metadata: batchMetadata{
		Type:  "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
		Model: "models/" + b.model, DisplayName: b.displayName,
		CreateTime: b.created.Format(time.RFC3339Nano), UpdateTime: b.created.Format(time.RFC3339Nano),
		BatchStats: map[string]string{"requestCount": n, "pendingRequestCount": n},
		State:      "BATCH_STATE_PENDING", Name: b.name,
	}}
	switch {
	case !b.ended.IsZero():
		out := b.results()
		op.Metadata.State, op.Metadata.Output, op.Done = "BATCH_STATE_SUCCEEDED", out, true
		op.Metadata.EndTime, op.Metadata.UpdateTime = b.ended.Format(time.RFC3339Nano), b.ended.Format(time.RFC3339Nano)
		op.Metadata.BatchStats = map[string]string{"requestCount": n, "successfulRequestCount": n}
		resp := *out
		resp.Type = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
		op.Response = &resp
	case b.polls > 0:
		op.Metadata.State = "BATCH_STATE_RUNNING"
	}
	return op
}

// results answers each request as generateContent would, without implicit caching; the
// usage says serviceTier standard, as real batch results do, though a batch is billed at
// the batch rate.
func (b *geminiBatch) results() *batchResponses {
	out := &batchResponses{}
	for i, q := range b.requests {
		c := q.call
		p := newPlan(c.prompt.total(), 0, geminiThoughts(c.model, ReplyTokens(c.prompt.total()), c.budget), c.maxTokens)
		u := c.finalUsage(p)
		out.InlinedResponses.InlinedResponses = append(out.InlinedResponses.InlinedResponses, inlinedResponse{
			Response: geminiResponse{
				Candidates:    []geminiCandidate{{Content: modelContent(strings.Join(pieces(replyText, p.reply), "")), FinishReason: geminiFinish(p), Index: ptr(0)}},
				UsageMetadata: u, ModelVersion: c.model, ResponseID: geminiResponseID(batchResultID(b.name, i)),
			},
			Metadata: q.metadata,
		})
	}
	return out
}

// batchResultID derives the response id of a job's i-th result.
func batchResultID(job string, i int) [32]byte {
	return sha256.Sum256([]byte(job + "\x00" + strconv.Itoa(i)))
}
