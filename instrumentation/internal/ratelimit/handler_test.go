package ratelimit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aiusage/aiusage/instrumentation/internal/ratelimit"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// widgetTracker is what a small app's UI would see: Groq answering with headers and
// Gemini estimated against configured free-tier limits.
func widgetTracker() *ratelimit.Tracker {
	clk := newClock("2026-11-27T14:59:30Z")
	tr := ratelimit.NewTracker(ratelimit.Options{Now: clk.Now, Limits: []quota.Limit{
		{Provider: "gcp.gemini", Model: "gemini-2.5-flash", RequestsPerMinute: 10, RequestsPerDay: 250, TokensPerMinute: 250000},
	}})
	// A model whose tokens drain: 250 a second against a refill of 100.
	b := &tokenBucket{limit: 6000, level: 6000, at: clk.Now()}
	for range 60 {
		h, _ := b.take(clk.Now(), 125)
		h.RequestsLimit, h.RequestsRemaining, h.RequestsReset, h.HasRequests = 1000, 900, time.Hour, true
		tr.ObserveHeaders("groq", "openai/gpt-oss-20b", h)
		clk.Add(500 * time.Millisecond)
	}
	tr.ObserveHeaders("groq", "llama-3.1-8b-instant", ratelimit.ParseHeaders(
		groqHeaders("14400", "13950", "2m59.56s", "6000", "5400", "7.66s")))
	for _, tokens := range []int64{1200, 30000, 4800} {
		tr.ObserveCall("gcp.gemini", "gemini-2.5-flash", tokens)
	}
	clk.Add(1500 * time.Millisecond)
	return tr
}

func TestHandlerGolden(t *testing.T) {
	srv := httptest.NewServer(widgetTracker().Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	golden := filepath.Join("testdata", "states.json")
	if *update {
		if err := os.WriteFile(golden, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("body differs from %s:\n%s", golden, body)
	}

	// The fields a header widget reads, checked apart from the golden file.
	var doc struct {
		States []struct {
			Provider, Resource, Window, Display string
			Used, Limit                         int64
		} `json:"states"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	displays := map[string]bool{}
	for _, s := range doc.States {
		displays[s.Display] = true
	}
	for _, d := range []string{
		"Groq: 13,950 / 14,400 requests today",
		"Groq: 5,400 / 6,000 tokens this minute",
		"Gemini: 247 / 250 requests today (estimate)",
		"Gemini: 7 / 10 requests this minute (estimate)",
		"Gemini: 214,000 / 250,000 tokens this minute (estimate)",
	} {
		if !displays[d] {
			t.Errorf("no state displays %q; have %v", d, displays)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	h := widgetTracker().Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/quota", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD: status %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/quota", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestHandlerEmpty(t *testing.T) {
	rec := httptest.NewRecorder()
	ratelimit.NewTracker(ratelimit.Options{}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc["states"]) != "[]" {
		t.Errorf("states with nothing tracked = %s, want []", doc["states"])
	}
}
