package queries

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FormatArg is the query argument that selects the endpoint's output: json (default) or csv.
const FormatArg = "format"

// Handler serves the read-only reports over HTTP:
//
//	GET /reports                      the reports, their parameters and columns (JSON)
//	GET /reports/{name}?param=value   a report's result as JSON, or CSV with format=csv
//
// Parameters are query arguments, validated as [Report.Bind] does; a bad one is a 400
// naming it. Reports that write (retention, roll-up) are not served. Authentication is
// the caller's: wrap the handler.
func Handler(db *sql.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reports", func(w http.ResponseWriter, r *http.Request) {
		var list []*Report
		for _, rep := range All() {
			if rep.ReadOnly() {
				list = append(list, rep)
			}
		}
		writeJSON(w, http.StatusOK, list)
	})
	mux.HandleFunc("GET /reports/{name}", func(w http.ResponseWriter, r *http.Request) {
		serveReport(w, r, db)
	})
	return mux
}

func serveReport(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	rep, err := Lookup(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if !rep.ReadOnly() {
		writeError(w, http.StatusForbidden, fmt.Errorf("report %s changes the database (%s) and is not served over HTTP", rep.Name, strings.Join(rep.Writes, ", ")))
		return
	}
	args := map[string]string{}
	format := "json"
	for k, vs := range r.URL.Query() {
		if len(vs) != 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("query argument %s: given %d times, want once", k, len(vs)))
			return
		}
		if k == FormatArg {
			format = vs[0]
			continue
		}
		args[k] = vs[0]
	}
	if format != "json" && format != "csv" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("query argument %s: %q is not json or csv", FormatArg, format))
		return
	}
	res, err := rep.Run(r.Context(), db, args)
	var perr *ParamError
	switch {
	case errors.As(err, &perr):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if format == "csv" {
		var buf bytes.Buffer
		if err := res.Write(&buf, "csv"); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", rep.Name+".csv"))
		_, _ = w.Write(buf.Bytes())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// errorBody is the JSON of a failed request.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorBody{Error: err.Error()})
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

// Client reads reports from a [Handler], e.g. the one the collector's duckdb exporter
// serves while it holds the database file.
type Client struct {
	// BaseURL is where the handler is mounted, e.g. http://127.0.0.1:8089.
	BaseURL string
	// Token, when set, is sent as a bearer token.
	Token string
	// HTTPClient defaults to a client with a 60 s timeout.
	HTTPClient *http.Client
}

// Reports lists the reports the server serves.
func (c *Client) Reports(ctx context.Context) ([]*Report, error) {
	var list []*Report
	if err := c.get(ctx, "/reports", nil, func(dec *json.Decoder) error { return dec.Decode(&list) }); err != nil {
		return nil, err
	}
	return list, nil
}

// Run runs the report called name on the server with args as its parameters.
func (c *Client) Run(ctx context.Context, name string, args map[string]string) (*Result, error) {
	q := url.Values{}
	for k, v := range args {
		q.Set(k, v)
	}
	var res Result
	err := c.get(ctx, "/reports/"+url.PathEscape(name), q, func(dec *json.Decoder) error {
		dec.UseNumber()
		if err := dec.Decode(&res); err != nil {
			return err
		}
		for _, row := range res.Rows {
			for i := range row {
				if i < len(res.Columns) {
					row[i] = fromJSON(res.Columns[i].Type, row[i])
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, decode func(*json.Decoder) error) error {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server URL %q: want http://host:port", c.BaseURL)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("server URL %q: %w", c.BaseURL, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("report server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var eb errorBody
		if json.Unmarshal(body, &eb) == nil && eb.Error != "" {
			return fmt.Errorf("report server %s: %s", resp.Status, eb.Error)
		}
		return fmt.Errorf("report server %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if err := decode(json.NewDecoder(resp.Body)); err != nil {
		return fmt.Errorf("report server %s: decode response: %w", u.Redacted(), err)
	}
	return nil
}

// fromJSON turns a decoded JSON cell back into the type [Report.Run] returns for its column.
func fromJSON(dbType string, v any) any {
	switch x := v.(type) {
	case json.Number:
		if isIntegerType(dbType) {
			if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				return n
			}
		}
		f, _ := x.Float64()
		return f
	case []any:
		elem := strings.TrimSuffix(dbType, "[]")
		for i := range x {
			x[i] = fromJSON(elem, x[i])
		}
		return x
	}
	return v
}

func isIntegerType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}
