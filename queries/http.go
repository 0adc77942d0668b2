package queries

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// FormatArg is the query argument that selects the endpoint's output: json (default) or csv.
const FormatArg = "format"

// Handler serves the read-only reports over HTTP:
//
//	GET /reports                      the reports, their parameters and columns (JSON)
//	GET /reports/{name}?param=value   a report's result as JSON, or CSV with format=csv
//
// Parameters are query arguments, validated as [Report.Bind] does; a query string it
// cannot read or a bad value is a 400 naming the argument. Reports that write
// (retention, roll-up) are not served (403). Queries run within its [Limits]; a
// request beyond them is a 503 with Retry-After. Authentication is the caller's: wrap
// the handler.
type Handler struct {
	mux      *http.ServeMux
	runs     *sharedRuns
	turns    *rate.Limiter // nil: no limit
	lim      Limits
	logError func(report string, err error)
}

// NewHandler returns the report endpoint on db within lim; a MaxConcurrent below 1
// counts as 1 and a QueryTimeout of 0 as the default. logError, if not nil, receives
// the cause of each 500, which the response does not carry.
func NewHandler(db *sql.DB, lim Limits, logError func(report string, err error)) *Handler {
	lim.MaxConcurrent = max(lim.MaxConcurrent, 1)
	lim.MaxQueued = max(lim.MaxQueued, 0)
	if lim.QueryTimeout <= 0 {
		lim.QueryTimeout = DefaultLimits().QueryTimeout
	}
	h := &Handler{mux: http.NewServeMux(), runs: newSharedRuns(db, lim), lim: lim, logError: logError}
	if lim.RequestsPerSecond > 0 {
		h.turns = rate.NewLimiter(rate.Limit(lim.RequestsPerSecond), max(1, int(lim.RequestsPerSecond/10)))
	}
	h.mux.HandleFunc("GET /reports", h.serveList)
	h.mux.HandleFunc("GET /reports/{name}", h.serveReport)
	return h
}

// ServeHTTP answers one request when its turn comes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.turns != nil && !h.awaitTurn(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// awaitTurn waits until RequestsPerSecond lets r be answered, or answers it 503 if that is
// further away than QueryTimeout.
func (h *Handler) awaitTurn(w http.ResponseWriter, r *http.Request) bool {
	turn := h.turns.Reserve()
	wait := turn.Delay()
	if wait > h.lim.QueryTimeout {
		turn.Cancel()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		WriteError(w, http.StatusServiceUnavailable, fmt.Errorf("the report endpoint is busy: more requests than the %g a second it answers", h.lim.RequestsPerSecond))
		return false
	}
	if wait == 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		turn.Cancel()
		return false
	}
}

// Close stops the queries running and waits for them; later requests get a 503.
func (h *Handler) Close() { h.runs.close() }

func (h *Handler) serveList(w http.ResponseWriter, r *http.Request) {
	args, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err)
		return
	}
	for name := range args {
		WriteError(w, http.StatusBadRequest, &QueryError{Arg: name, Reason: "the report list takes no arguments"})
		return
	}
	var list []*Report
	for _, rep := range All() {
		if rep.ReadOnly() {
			list = append(list, rep)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *Handler) serveReport(w http.ResponseWriter, r *http.Request) {
	args, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err)
		return
	}
	rep, err := Lookup(r.PathValue("name"))
	if err != nil {
		WriteError(w, http.StatusNotFound, err)
		return
	}
	if !rep.ReadOnly() {
		WriteError(w, http.StatusForbidden, fmt.Errorf("report %s changes the database (%s) and is not served over HTTP", rep.Name, strings.Join(rep.Writes, ", ")))
		return
	}
	format := "json"
	if f, ok := args[FormatArg]; ok {
		format = f
		delete(args, FormatArg)
	}
	if format != "json" && format != "csv" {
		WriteError(w, http.StatusBadRequest, &QueryError{Arg: FormatArg, Reason: Quote(format) + " is not json or csv"})
		return
	}
	vals, err := rep.Bind(args)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err)
		return
	}
	res, err := h.runs.result(r.Context(), rep, vals)
	if err != nil {
		h.writeRunError(w, r, rep, err)
		return
	}
	if format == "csv" {
		var buf bytes.Buffer
		if err := res.Write(&buf, "csv"); err != nil {
			h.writeRunError(w, r, rep, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", rep.Name+".csv"))
		_, _ = w.Write(buf.Bytes())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// writeRunError answers a failed run: busy and timed out are 503s that say so; any
// other failure is a 500 whose cause goes to the log, not to the client.
func (h *Handler) writeRunError(w http.ResponseWriter, r *http.Request, rep *Report, err error) {
	var busy *BusyError
	var timeout *TimeoutError
	switch {
	case errors.As(err, &busy):
		w.Header().Set("Retry-After", strconv.Itoa(int(busy.RetryAfter.Seconds())))
		WriteError(w, http.StatusServiceUnavailable, err)
	case errors.As(err, &timeout):
		WriteError(w, http.StatusServiceUnavailable, err)
	case r.Context().Err() != nil:
		// The client is gone; nobody reads an answer.
	default:
		if h.logError != nil {
			h.logError(rep.Name, err)
		}
		WriteError(w, http.StatusInternalServerError, fmt.Errorf("report %s failed; the cause is in the collector's log", rep.Name))
	}
}

// errorBody is the JSON of a failed request.
type errorBody struct {
	Error string `json:"error"`
}

// maxErrorBody bounds an error message sent to a client.
const maxErrorBody = 1024

// WriteError answers with status and err's message as the endpoint's JSON error body,
// {"error": "..."}, cut to a bounded length.
func WriteError(w http.ResponseWriter, status int, err error) {
	msg := err.Error()
	if len(msg) > maxErrorBody {
		msg = strings.ToValidUTF8(msg[:maxErrorBody], "") + "…"
	}
	writeJSON(w, status, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
