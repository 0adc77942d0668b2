package instrumentation

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// maxRememberedBatches bounds the batches whose results are remembered as recorded.
const maxRememberedBatches = 4096

// batchLedger remembers the batches whose results were recorded, so that results the
// app reads again (every poll of a finished Gemini batch returns them; a results file
// may be downloaded twice) are counted once. It forgets the oldest beyond
// maxRememberedBatches; it is per Instrumentation, so per process.
type batchLedger struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // ring of the keys in seen, oldest at next
	next  int
}

// first reports whether key is seen for the first time, and remembers it.
func (l *batchLedger) first(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[key]; ok {
		return false
	}
	if l.seen == nil {
		l.seen = make(map[string]struct{})
	}
	if len(l.order) < maxRememberedBatches {
		l.order = append(l.order, key)
	} else {
		delete(l.seen, l.order[l.next])
		l.order[l.next] = key
		l.next = (l.next + 1) % maxRememberedBatches
	}
	l.seen[key] = struct{}{}
	return true
}

// recordBatchResults records each result a batch job call or a results download read,
// once per batch (or file) however often the app reads them: as a call of its own,
// billed at the batch rate (whatever tier the result names: Gemini's say standard), a
// child of the job call's span, with the attribution of its context. Results are not
// counted toward estimated quotas: batch work runs on quotas of its own.
func (i *Instrumentation) recordBatchResults(ctx context.Context, job *record, b *response.Batch, file string) {
	if len(b.Results) == 0 {
		return
	}
	key := b.Job
	if file != "" {
		key = file
	}
	if key != "" && !i.batches.first(string(job.Provider)+"\x00"+key) {
		return
	}
	operation := semconv.OperationChat
	if job.Provider != Groq {
		operation = semconv.OperationGenerateContent
	}
	for n := range b.Results {
		res := &b.Results[n]
		r := record{Call: Call{
			Provider: job.Provider, Operation: operation,
			RequestModel: b.Model, ResponseModel: res.Model, ResponseID: res.ID, FinishReasons: res.FinishReasons,
			ServerAddress: job.ServerAddress, ServerPort: job.ServerPort,
			RequestServiceTier: semconv.ServiceTierBatch, ResponseServiceTier: semconv.ServiceTierBatch,
			Start: job.End, End: job.End,
		}, noQuota: true}
		if r.RequestModel == "" {
			r.RequestModel = res.Model
		}
		if res.HasUsage {
			r.Usage = &res.Usage
		}
		if e := res.Error; e != nil {
			r.ErrorCode, r.errorMessage = errorCode(e), e.Message
			r.ErrorType = errorTypeBatchResult
			if e.Status >= 400 {
				r.ErrorType = statusText(e.Status)
			}
		}
		_, span := i.start(ctx, &r)
		i.end(ctx, span, &r)
	}
}

// errorTypeBatchResult is error.type of a batch result that failed without an HTTP status.
const errorTypeBatchResult = "batch_error"

// appendBatch adds what a batch job call said about its job: its id and state, its
// request counts when reported, and results not kept.
func appendBatch(attrs []attribute.KeyValue, b *response.Batch) []attribute.KeyValue {
	if b == nil {
		return attrs
	}
	if b.Job != "" {
		attrs = append(attrs, semconv.BatchID.String(b.Job))
	}
	if b.State != "" {
		attrs = append(attrs, semconv.BatchState.String(b.State))
	}
	if b.HasCounts {
		attrs = append(attrs, semconv.BatchRequests.Int64(b.Requests),
			semconv.BatchSucceeded.Int64(b.Succeeded), semconv.BatchFailed.Int64(b.Failed))
	}
	if b.Dropped > 0 {
		attrs = append(attrs, semconv.BatchResultsDropped.Int64(b.Dropped))
	}
	return attrs
}
