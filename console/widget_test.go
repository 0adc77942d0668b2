package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// appPage is an app's own page with the widget in its header, as the README's snippet
// puts it.
const appPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Juniper</title><link rel="icon" href="data:,">
<style>header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1rem;background:#0f172a;color:#e2e8f0;font:14px system-ui,sans-serif}
header b{font-size:16px} aiusage-quota{--aiusage-ok:#4ade80;--aiusage-warning:#facc15;--aiusage-exhausted:#f87171}</style></head>
<body><header><b>Juniper voice assistant</b>
<script src="%[1]s/console/widget.js"></script>
<aiusage-quota token="%[2]s"></aiusage-quota>
</header><main style="padding:1rem;font:14px system-ui">The app's own page.</main></body></html>`

// TestWidgetOnAnotherOrigin puts the widget into pages of two other origins: the one
// the collector lists in reports.cors_allowed_origins shows the quota line of each
// provider; the other is refused by the browser and says the quota is unavailable.
func TestWidgetOnAnotherOrigin(t *testing.T) {
	b := newBrowser(t)
	var collectorURL, token string
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, appPage, collectorURL, token)
	})
	allowed := httptest.NewServer(page) // http://127.0.0.1:port
	defer allowed.Close()
	refused := httptest.NewServer(page)
	defer refused.Close()
	refusedURL := strings.Replace(refused.URL, "127.0.0.1", "localhost", 1) // another origin still

	col := startCollector(t, "", "", allowed.URL)
	collectorURL, token = col.URL, col.Token
	col.feed(t)

	b.do(t, chromedp.Navigate(allowed.URL))
	b.waitFor(t, `(() => { const w = document.querySelector('aiusage-quota'); return !!(w && w.shadowRoot && w.shadowRoot.querySelector('.q')); })()`)
	lines := eval[[]struct{ Provider, State, Text string }](t, b,
		`[...document.querySelector('aiusage-quota').shadowRoot.querySelectorAll('.q')].map(q => ({provider: q.dataset.provider, state: q.dataset.state, text: q.querySelector('.text').textContent}))`)
	want := quotaLines(objects(report(t, col, "/reports/quota")))
	if len(lines) != len(want) {
		t.Fatalf("widget shows %v, want %v", lines, want)
	}
	for i, l := range lines {
		if l.Text != want[i].text || l.State != want[i].state {
			t.Errorf("widget line %d: %q (%s), want %q (%s)", i, l.Text, l.State, want[i].text, want[i].state)
		}
	}
	if errs := b.takeErrors(); len(errs) > 0 {
		t.Errorf("the allowed page logged errors:\n%s", strings.Join(errs, "\n"))
	}
	b.screenshot(t, "widget", "header")

	b.do(t, chromedp.Navigate(refusedURL))
	b.waitFor(t, `(() => { const w = document.querySelector('aiusage-quota'); return !!(w && w.shadowRoot && w.shadowRoot.querySelector('.note')); })()`)
	got := eval[string](t, b, `document.querySelector('aiusage-quota').shadowRoot.textContent`)
	if !strings.Contains(got, "Quota unavailable") || strings.Contains(got, "RPD") || strings.Contains(got, "requests") {
		t.Errorf("the page of an origin not allowed shows %q", got)
	}
	// The browser, not the page, refused the answer: it says so in its log.
	errs := strings.Join(b.takeErrors(), "\n")
	if !strings.Contains(errs, "CORS") && !strings.Contains(errs, "Access-Control") && !strings.Contains(errs, "ERR_FAILED") {
		t.Errorf("no cross-origin refusal logged; the browser logged:\n%s", errs)
	}
}
