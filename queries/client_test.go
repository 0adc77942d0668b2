package queries

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientRetriesABusyServer(t *testing.T) {
	db := newFileDB(t)
	reports := NewHandler(db, DefaultLimits(), nil)
	defer reports.Close()
	tests := []struct {
		name         string
		retries      int
		busyAnswers  int    // answered busy before the report
		status       int    // of a busy answer
		retryAfter   string // of a busy answer
		wantRequests int64
		wantErr      string
	}{
		{"503 then the report", 0, 2, 503, "0", 3, ""},
		{"429 then the report", 0, 1, 429, "0", 2, ""},
		{"an HTTP date", 0, 1, 503, "Mon, 02 Jan 2006 15:04:05 GMT", 2, ""},
		{"busy for good", 0, 100, 503, "0", 4, "503 Service Unavailable: busy (still busy after 4 attempts; try again later)"},
		{"retries off", -1, 1, 503, "0", 1, "503 Service Unavailable: busy (still busy after 1 attempt;"},
		{"two retries", 2, 100, 503, "0", 3, "still busy after 3 attempts"},
		{"no Retry-After", 0, 1, 503, "", 1, "503 Service Unavailable: busy"},
		{"a long Retry-After", 0, 1, 503, "3600", 1, "busy (it asks to retry in 1h0m0s)"},
		{"a 500 is not retried", 0, 1, 500, "0", 1, "500 Internal Server Error: busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) <= int64(tt.busyAnswers) {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeJSON(w, tt.status, errorBody{Error: "busy"})
					return
				}
				reports.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, Retries: tt.retries}
			res, err := c.Run(context.Background(), "daily", dataArgs["daily"])
			if tt.wantErr == "" && (err != nil || len(res.Rows) == 0) || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Run: %v, want %q", err, tt.wantErr)
			}
			if got := requests.Load(); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestClientStopsWaitingWithItsContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "busy"})
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := (&Client{BaseURL: srv.URL}).Reports(ctx)
	if err == nil || !strings.Contains(err.Error(), "gave up waiting to retry: context deadline exceeded") {
		t.Errorf("err = %v", err)
	}
}
