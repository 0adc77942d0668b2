package duckdbexporter

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/queries"
)

// reportGet asks the endpoint at addr for path with the given Authorization and Host
// (empty: none, and the address).
func reportGet(t *testing.T, addr, path, auth, host string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestReportsEndpoint(t *testing.T) {
	const token = "t0ken-0123456789"
	cfg := testConfig(t)
	cfg.Reports = defaultReportsConfig()
	cfg.Reports.Endpoint = freeAddr(t)
	cfg.Reports.BearerToken = token
	e := startExporter(t, cfg)
	if err := e.pushTraces(context.Background(), buildTraces(testSpan{n: 1, attrs: groqCall(), start: time.Now().UTC()})); err != nil {
		t.Fatal(err)
	}
	addr := cfg.Reports.Endpoint
	_, port, _ := net.SplitHostPort(addr)
	ok := "Bearer " + token
	tests := []struct {
		name, path, auth, host string
		wantStatus             int
		wantBody               string
	}{
		{"the list", "/reports", ok, "", 200, `"name":"daily"`},
		{"a report as CSV", "/reports/daily?format=csv", ok, "", 200, "llama-3.1-8b-instant"},
		{"no token", "/reports", "", "", 401, `{"error":"missing or wrong bearer token"}`},
		{"a wrong token", "/reports", "Bearer wrong", "", 401, "missing or wrong bearer token"},
		{"a prefix of the token", "/reports", ok[:len(ok)-1], "", 401, "missing or wrong bearer token"},
		{"the token and more", "/reports", ok + "x", "", 401, "missing or wrong bearer token"},
		{"another scheme", "/reports", "Basic " + token, "", 401, "missing or wrong bearer token"},
		{"the scheme in lower case", "/reports", "bearer " + token, "", 200, `"name":"daily"`},
		{"the scheme in capitals", "/reports", "BEARER " + token, "", 200, `"name":"daily"`},
		{"two spaces", "/reports", "Bearer  " + token, "", 200, `"name":"daily"`},

		{"Host localhost", "/reports", ok, "localhost:" + port, 200, `"name":"daily"`},
		{"Host LOCALHOST", "/reports", ok, "LOCALHOST:" + port, 200, `"name":"daily"`},
		{"Host [::1]", "/reports", ok, "[::1]:" + port, 200, `"name":"daily"`},
		{"Host of a rebound name", "/reports", ok, "attacker.example:" + port, 421, `host \"attacker.example:` + port + `\" is not this endpoint (localhost:` + port},
		{"Host of a rebound name without a token", "/reports", "", "attacker.example:" + port, 421, "is not this endpoint"},
		{"Host on another port", "/reports", ok, "127.0.0.1:1", 421, "is not this endpoint"},
		{"Host without the port", "/reports", ok, "127.0.0.1", 421, "is not this endpoint"},

		{"a broken escape", "/reports/users?user_id=u1%zz", ok, "", 400, "query argument user_id: value"},
		{"a semicolon", "/reports/users?user_id=u1;days=3", ok, "", 400, `contains \";\"`},
		{"an overflowing integer", "/reports/quota?days=2147483647", ok, "", 400, "out of range (want 1..36500)"},
		{"malformed limits", "/reports/rates?limits=%5B%7B", ok, "", 400, "parameter limits"},
		{"a writing report", "/reports/retention", ok, "", 403, "not served"},
		{"path traversal", "/reports/..%2F..%2Fetc%2Fpasswd", ok, "", 404, "unknown report"},
		// The console's page holds no data: it needs no token, but the loopback rule holds.
		{"the console page without a token", "/console/", "", "", 200, "aiusage console"},
		{"the console on a rebound host", "/console/", "", "attacker.example:" + port, 421, "is not this endpoint"},
		{"the widget script without a token", "/console/widget.js", "", "", 200, "aiusage-quota"},

		{"a request line beyond the header limit", "/reports/users?user_id=" + strings.Repeat("x", queries.MaxHeaderBytes+8<<10), ok, "", 431, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, header, body := reportGet(t, addr, tt.path, tt.auth, tt.host)
			if code != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %.100s = %d %.300s, want %d containing %s", tt.path, code, body, tt.wantStatus, tt.wantBody)
			}
			if code == http.StatusUnauthorized && header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	// An HTTP/1.0 request may carry no Host at all; a loopback endpoint refuses it too.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /reports HTTP/1.0\r\nAuthorization: %s\r\n\r\n", ok)
	if status, _ := bufio.NewReader(conn).ReadString('\n'); !strings.Contains(status, "421") {
		t.Errorf("no Host: %q, want 421", status)
	}
}

// TestConcurrentReportsKeepTheirParameters: requests running, shared and cached at the
// same time each get the rows of their own parameters.
func TestConcurrentReportsKeepTheirParameters(t *testing.T) {
	cfg := testConfig(t)
	cfg.Reports = defaultReportsConfig()
	cfg.Reports.Endpoint = freeAddr(t)
	cfg.Reports.RequestsPerSecond = 10000
	cfg.Reports.MaxQueued = 1000
	// 240 requests queue for one slot; on a loaded machine the last wait long. This
	// test is about parameters, not shedding load: let them all wait.
	cfg.Reports.QueryTimeout = 5 * time.Minute
	e := startExporter(t, cfg)
	var spans []testSpan
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	for i := range 50 {
		attrs := groqCall()
		attrs[string(semconv.UserID)] = fmt.Sprintf("u%d", i%10)
		// Every call today (UTC), which days=1 reads, whatever the time of the run.
		start := now.Add(-time.Duration(i) * time.Minute)
		if start.Before(today) {
			start = today
		}
		spans = append(spans, testSpan{n: uint64(i), attrs: attrs, start: start})
	}
	if err := e.pushTraces(context.Background(), buildTraces(spans...)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range 240 {
		wg.Go(func() {
			user := fmt.Sprintf("u%d", c%10)
			code, _, body := reportGet(t, cfg.Reports.Endpoint, fmt.Sprintf("/reports/users?user_id=%s&days=%d", user, 1+c%3), "", "")
			var res struct{ Rows [][]any }
			if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || len(res.Rows) != 1 || res.Rows[0][0] != user {
				t.Errorf("user %s: %d %s", user, code, body)
			}
		})
	}
	wg.Wait()
}
