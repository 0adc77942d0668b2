package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client reads reports from a [Handler], e.g. the one the collector's duckdb exporter
// serves while it holds the database file.
type Client struct {
	// BaseURL is where the handler is mounted, e.g. http://127.0.0.1:8765.
	BaseURL string
	// Token, when set, is sent as a bearer token.
	Token string
	// HTTPClient defaults to a client with a 60 s timeout.
	HTTPClient *http.Client
	// Retries is how many times a request the server turned away as busy (429 or 503
	// with Retry-After) is sent again, after the wait it asks for; 0 means
	// DefaultRetries, a negative number none.
	Retries int
}

// DefaultRetries is how often a [Client] retries a busy server by default.
const DefaultRetries = 3

// maxRetryWait is the longest Retry-After a [Client] waits for; a server that asks
// for more is reported busy at once.
const maxRetryWait = 10 * time.Second

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
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return fmt.Errorf("server URL %q: %w", c.BaseURL, err)
		}
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("report server: %w", err)
		}
		if resp.StatusCode == http.StatusOK {
			err := decode(json.NewDecoder(resp.Body))
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("report server %s: decode response: %w", u.Redacted(), err)
			}
			return nil
		}
		msg := errorMessage(resp)
		wait, busy := retryAfter(resp)
		if !busy {
			return fmt.Errorf("report server %s: %s", resp.Status, msg)
		}
		if wait > maxRetryWait {
			return fmt.Errorf("report server %s: %s (it asks to retry in %s)", resp.Status, msg, wait)
		}
		if attempt > retries {
			tries := "1 attempt"
			if attempt > 1 {
				tries = strconv.Itoa(attempt) + " attempts"
			}
			return fmt.Errorf("report server %s: %s (still busy after %s; try again later)", resp.Status, msg, tries)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("report server %s: %s (gave up waiting to retry: %w)", resp.Status, msg, ctx.Err())
		case <-t.C:
		}
	}
}

// errorMessage reads the error a server answered with and closes the body.
func errorMessage(resp *http.Response) string {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != "" {
		return eb.Error
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
}

// retryAfter reports whether resp turns the request away as busy, and how long the
// server asks to wait before another try (seconds or an HTTP date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if secs, err := strconv.ParseInt(v, 10, 32); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
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
