package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer a running command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestLakeServeAnswersAsTheLakeWithTheEndpointsGuards(t *testing.T) {
	_, dir := fixtureLake(t)
	const token = "a-token-of-sixteen-bytes"
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"lake", "serve", "--lake", dir, "--endpoint", "127.0.0.1:0", "--token", token}, &out, &errOut)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("lake serve ended with %d: %s", code, errOut.String())
		}
	}()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(30 * time.Second)
	for addr.FindString(out.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("lake serve did not start: %s%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	base := addr.FindString(out.String())
	t.Logf("$ aiusage lake serve --lake DIR --endpoint 127.0.0.1:0 --token T\n%s", out.String())

	for _, args := range [][]string{
		{"daily", "--from-day", "2026-11-01", "--to-day", "2026-11-02"},
		{"quota", "--as-of", "2026-11-02T12:00:00Z"},
		{"prices", "--in-force-on", "2026-11-02"},
	} {
		code, want, stderr := runCLI(append(append([]string{"report"}, args...), "--lake", dir, "--format", "csv")...)
		if code != 0 || strings.Count(want, "\n") < 2 {
			t.Fatalf("%v --lake: exit %d %s%s", args, code, want, stderr)
		}
		code, got, stderr := runCLI(append(append([]string{"report"}, args...), "--server", base, "--token", token, "--format", "csv")...)
		if code != 0 || got != want {
			t.Errorf("%v over lake serve: exit %d %s\n%s\nwant (--lake):\n%s", args, code, stderr, got, want)
		}
	}
	for _, c := range []struct {
		name, path, auth, host string
		want                   int
	}{
		{"no token", "/reports/daily", "", "", http.StatusUnauthorized},
		{"a wrong token", "/reports/daily", "Bearer nope", "", http.StatusUnauthorized},
		{"a rebound host name", "/reports/daily", "Bearer " + token, "attacker.example", http.StatusMisdirectedRequest},
		{"a writing report", "/reports/retention", "Bearer " + token, "", http.StatusForbidden},
		{"the console, which holds no data", "/console/", "", "", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, base+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: GET %s = %d, want %d", c.name, c.path, resp.StatusCode, c.want)
		}
	}
}

func TestLakeServeRefusesAnOpenEndpoint(t *testing.T) {
	dir := t.TempDir() // refused before the lake is opened
	t.Setenv(tokenEnv, "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lake", "serve", "--lake", dir, "--endpoint", "0.0.0.0:0"}, "--token: a token of at least 16 bytes is required"},
		{[]string{"lake", "serve", "--lake", dir, "--endpoint", "0.0.0.0:0", "--token", "short"}, "--token: a token of at least 16 bytes is required"},
		{[]string{"lake", "serve", "--lake", dir, "--endpoint", "nonsense"}, `--endpoint: "nonsense" is not host:port`},
		{[]string{"lake", "serve", "--lake", dir, "--refresh", "1ms"}, "--refresh: 1ms is less than 1s"},
		{[]string{"lake", "serve"}, "--lake: name the lake directory"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s; want an error saying %q", c.args, code, stderr, c.want)
		}
	}
}
