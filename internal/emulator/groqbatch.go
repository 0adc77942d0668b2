package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// groqFile is an uploaded batch input file, or a job's output file.
type groqFile struct {
	id, name, purpose string
	created           time.Time
	data              []byte
}

// groqBatch is one Groq batch job.
type groqBatch struct {
	id, endpoint, window, inputFile, outputFile string
	created, ended                              time.Time
	requests                                    []groqBatchLine
	polls                                       int
	cancelled                                   bool
}

// groqBatchLine is one line of an input file.
type groqBatchLine struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// groqFileObject is Groq's file object.
type groqFileObject struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Bytes     int    `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
}

func (f *groqFile) object() groqFileObject {
	return groqFileObject{ID: f.id, Object: "file", Bytes: len(f.data), CreatedAt: f.created.Unix(), Filename: f.name, Purpose: f.purpose}
}

// groqUploadFile serves POST /openai/v1/files (multipart: purpose, file).
func (e *Emulator) groqUploadFile(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "'file' : a file is required", Type: "invalid_request_error"})
		return
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "could not read 'file'", Type: "invalid_request_error"})
		return
	}
	purpose := r.FormValue("purpose")
	if purpose != "batch" {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "'purpose' : value must be 'batch'", Type: "invalid_request_error"})
		return
	}
	e.mu.Lock()
	file := e.addFile(hdr.Filename, purpose, data)
	obj := file.object()
	e.mu.Unlock()
	writeAnswer(w, r, "application/json", encode(obj))
}

// addFile stores a file under a new id. e.mu must be held.
func (e *Emulator) addFile(name, purpose string, data []byte) *groqFile {
	if e.jobs.files == nil {
		e.jobs.files = make(map[string]*groqFile)
	}
	f := &groqFile{id: "file_" + groqRequestID(e.ids.next())[4:], name: name, purpose: purpose, created: e.now(), data: data}
	e.jobs.files[f.id] = f
	return f
}

// groqCreateBatch serves POST /openai/v1/batches.
func (e *Emulator) groqCreateBatch(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	var req struct {
		InputFileID      string `json:"input_file_id"`
		Endpoint         string `json:"endpoint"`
		CompletionWindow string `json:"completion_window"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "request body is not valid JSON", Type: "invalid_request_error"})
		return
	}
	if req.Endpoint != "/v1/chat/completions" {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: "'endpoint' : the emulator runs batches of /v1/chat/completions", Type: "invalid_request_error"})
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.jobs.files[req.InputFileID]
	if in == nil {
		writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: fmt.Sprintf("input file %s not found", req.InputFileID), Type: "invalid_request_error"})
		return
	}
	b := &groqBatch{endpoint: req.Endpoint, window: req.CompletionWindow, inputFile: in.id, created: e.now()}
	sc := bufio.NewScanner(bytes.NewReader(in.data))
	sc.Buffer(nil, maxBodyBytes)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l groqBatchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.CustomID == "" || len(l.Body) == 0 {
			writeGroqError(w, http.StatusBadRequest, groqErrorBody{Message: fmt.Sprintf("input file line %d is not a batch request", n), Type: "invalid_request_error"})
			return
		}
		b.requests = append(b.requests, l)
	}
	b.id = "batch_" + groqRequestID(e.ids.next())[4:]
	if e.jobs.groq == nil {
		e.jobs.groq = make(map[string]*groqBatch)
	}
	e.jobs.groq[b.id] = b
	writeAnswer(w, r, "application/json", encode(b.object()))
}

// groqGetBatch serves GET /openai/v1/batches/{id}: in progress at the first poll, done
// from the second with its output file written.
func (e *Emulator) groqGetBatch(w http.ResponseWriter, r *http.Request) {
	e.groqBatchCall(w, r, false)
}

// groqCancelBatch serves POST /openai/v1/batches/{id}/cancel.
func (e *Emulator) groqCancelBatch(w http.ResponseWriter, r *http.Request) {
	e.groqBatchCall(w, r, true)
}

func (e *Emulator) groqBatchCall(w http.ResponseWriter, r *http.Request, cancel bool) {
	if !e.groqAuthorized(w, r) {
		return
	}
	e.mu.Lock()
	b := e.jobs.groq[r.PathValue("id")]
	var obj any
	if b != nil {
		switch {
		case cancel && b.ended.IsZero():
			b.cancelled, b.ended = true, e.now()
		case !cancel:
			b.polls++
			if b.polls >= batchPollsToFinish && b.ended.IsZero() {
				b.ended = e.now()
				b.outputFile = e.addFile(b.id+"_output.jsonl", "batch_output", b.output()).id
			}
		}
		obj = b.object()
	}
	e.mu.Unlock()
	if b == nil {
		writeGroqError(w, http.StatusNotFound, groqErrorBody{Message: "batch not found", Type: "invalid_request_error", Code: "not_found"})
		return
	}
	writeAnswer(w, r, "application/json", encode(obj))
}

// groqBatchObject is Groq's batch object.
type groqBatchObject struct {
	ID               string         `json:"id"`
	Object           string         `json:"object"`
	Endpoint         string         `json:"endpoint"`
	Errors           any            `json:"errors"`
	InputFileID      string         `json:"input_file_id"`
	CompletionWindow string         `json:"completion_window"`
	Status           string         `json:"status"`
	OutputFileID     *string        `json:"output_file_id"`
	ErrorFileID      *string        `json:"error_file_id"`
	CreatedAt        int64          `json:"created_at"`
	CompletedAt      *int64         `json:"completed_at"`
	CancelledAt      *int64         `json:"cancelled_at"`
	RequestCounts    map[string]int `json:"request_counts"`
	Metadata         any            `json:"metadata"`
}

// object is b's batch object now. e.mu must be held.
func (b *groqBatch) object() groqBatchObject {
	n := len(b.requests)
	o := groqBatchObject{
		ID: b.id, Object: "batch", Endpoint: b.endpoint, InputFileID: b.inputFile, CompletionWindow: b.window,
		Status: "validating", CreatedAt: b.created.Unix(),
		RequestCounts: map[string]int{"total": n, "completed": 0, "failed": 0},
	}
	switch {
	case b.cancelled:
		o.Status, o.CancelledAt = "cancelled", ptr(b.ended.Unix())
	case !b.ended.IsZero():
		o.Status, o.CompletedAt, o.OutputFileID = "completed", ptr(b.ended.Unix()), ptr(b.outputFile)
		o.RequestCounts["completed"] = n
	case b.polls > 0:
		o.Status = "in_progress"
	}
	return o
}

// output is the results file of b: per request a line with the chat completion Groq would
// have answered, without prompt caching or quota.
func (b *groqBatch) output() []byte {
	var out bytes.Buffer
	for i, l := range b.requests {
		var req chatRequest
		line := map[string]any{"id": fmt.Sprintf("batch_req_%s_%d", b.id[6:], i), "custom_id": l.CustomID, "error": nil}
		if err := json.Unmarshal(l.Body, &req); err != nil || req.Model == "" || len(req.Messages) == 0 {
			line["response"] = map[string]any{"status_code": http.StatusBadRequest, "request_id": fmt.Sprintf("req_%s_%d", b.id[6:], i),
				"body": map[string]any{"error": groqErrorBody{Message: "request body is not a valid chat completion request", Type: "invalid_request_error"}}}
		} else {
			prompt := 0
			for _, m := range req.Messages {
				t, _ := m.text()
				prompt += CountTokens(t)
			}
			reasoning := 0
			if strings.HasPrefix(req.Model, "openai/gpt-oss-") {
				reasoning = ReplyTokens(prompt)
			}
			p := newPlan(prompt, 0, reasoning, req.maxTokens())
			u := p.usage()
			groqTimings(u)
			line["response"] = map[string]any{"status_code": http.StatusOK, "request_id": fmt.Sprintf("req_%s_%d", b.id[6:], i),
				"body": groqCompletion{
					ID: fmt.Sprintf("chatcmpl-%s-%d", b.id[6:], i), Object: "chat.completion", Created: b.ended.Unix(), Model: req.Model,
					Choices: []chatChoice{{Message: &chatOut{Role: "assistant", Content: ptr(strings.Join(pieces(replyText, p.reply), ""))}, FinishReason: ptr(finishReason(p))}},
					Usage:   u, XGroq: xGroq{ID: fmt.Sprintf("req_%s_%d", b.id[6:], i)}, ServiceTier: "on_demand",
				}}
		}
		out.Write(encode(line))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// groqFileContent serves GET /openai/v1/files/{id}/content.
func (e *Emulator) groqFileContent(w http.ResponseWriter, r *http.Request) {
	if !e.groqAuthorized(w, r) {
		return
	}
	e.mu.Lock()
	f := e.jobs.files[r.PathValue("id")]
	e.mu.Unlock()
	if f == nil {
		writeGroqError(w, http.StatusNotFound, groqErrorBody{Message: "file not found", Type: "invalid_request_error", Code: "not_found"})
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.name+`"`)
	writeJSON(w, http.StatusOK, "application/octet-stream", f.data)
}
