package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// screenshotsEnv names the folder the browser tests write their screenshots to
// (`make screenshots` sets it to docs/screenshots); unset, they write none.
const screenshotsEnv = "AIUSAGE_SCREENSHOTS"

// browser is a headless Chromium tab and what its pages logged as errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// chromium finds Debian's chromium (or another Chrome); a test without one skips, or
// fails in CI, where `make test` installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: full tier only")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: `make deps` installs Debian's chromium package")
	}
	t.Skip("no chromium on PATH: install Debian's chromium package (make deps does, as root) to run the browser tests")
	return ""
}

// newBrowser starts a headless Chromium for the test, bounded in time.
func newBrowser(t *testing.T) *browser {
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// record keeps what a page logs as an error: console.error, uncaught exceptions and
// the browser's own error entries (a failed load, a refused cross-origin read).
func (b *browser) record(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		msg = "exception: " + (&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error()
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			msg = "log (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL
		}
	}
	if msg != "" {
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}
}

// takeErrors returns the errors logged since the last call.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errors
	b.errors = nil
	return e
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, for at most 30 s.
func (b *browser) waitFor(t *testing.T, cond string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v (errors logged: %v)", cond, err, b.takeErrors())
	}
}

// viewport sets the page's width, as a phone's or a desktop's.
func (b *browser) viewport(t *testing.T, width int64) {
	t.Helper()
	b.do(t, chromedp.EmulateViewport(width, 900))
}

// screenshot writes the whole page as name.png into the screenshots folder, if one is set.
func (b *browser) screenshot(t *testing.T, name string, sel string) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	var png []byte
	var err error
	if sel == "" {
		png, err = chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	} else {
		png, err = chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// shown is what the page's panels show, read off the DOM.
type shown struct {
	Today, Month map[string]string
	Quota        []struct {
		Provider, Model, Resource, Window, State string
		Remaining, Limit, Utilization, Badge     string
	}
	Users  []struct{ Key, Value string }
	Widget []struct{ Provider, State, Text string }
	Calls  []console.Call
	Notes  []string
}

const readPanels = `(() => {
  const vals = sel => Object.fromEntries([...document.querySelectorAll(sel + ' dd[data-key]')].map(e => [e.dataset.key, e.dataset.value]));
  const v = (li, k) => li.querySelector('[data-key=' + k + ']').dataset.value;
  const w = document.querySelector('#header-quota').shadowRoot;
  return {
    today: vals('#today'), month: vals('#month'),
    quota: [...document.querySelectorAll('#quota .quota-row')].map(li => ({provider: li.dataset.provider, model: li.dataset.model,
      resource: li.dataset.resource, window: li.dataset.window, state: li.dataset.state,
      remaining: v(li, 'remaining'), limit: v(li, 'limit'), utilization: v(li, 'utilization'), badge: li.querySelector('.badge').textContent})),
    users: [...document.querySelectorAll('#top-users .hbar')].map(li => ({key: li.dataset.key, value: li.dataset.value})),
    widget: [...w.querySelectorAll('.q')].map(q => ({provider: q.dataset.provider, state: q.dataset.state, text: q.querySelector('.text').textContent, words: (q.querySelector('.words') || {}).textContent || ''})),
    calls: window.AIUsageConsole ? AIUsageConsole.calls() : [],
    notes: [...document.querySelectorAll('.panel .note')].map(n => n.textContent),
  };
})()`

// report reads path from the collector's report endpoint as JSON, as the page does.
func report(t *testing.T, col *testCollector, path string) *queries.Result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, col.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+col.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var res queries.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

// sums adds up columns over rows; a cost column is "null" when every row has none,
// as the reports say of unpriced calls.
func sums(rows []map[string]any, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		var s float64
		seen := false
		for _, r := range rows {
			if r[k] != nil {
				s += asFloat(r[k])
				seen = true
			}
		}
		if !seen && strings.HasSuffix(k, "_usd") {
			out[k] = "null"
			continue
		}
		out[k] = strconv.FormatFloat(s, 'g', -1, 64)
	}
	return out
}

// sameNumbers compares number strings as numbers, to the last bits of a sum.
func sameNumbers(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: the page shows no %s (want %s)", what, k, w)
			continue
		}
		if !sameNumber(g, w) {
			t.Errorf("%s %s: page shows %s, the report %s", what, k, g, w)
		}
	}
}

func sameNumber(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(y))
}

// expectPanels checks that the page's quota, today, month and top-user panels show the
// answers of the report endpoint to the calls the page made.
func expectPanels(t *testing.T, col *testCollector, got shown, today string, answer func(path string) *queries.Result) {
	t.Helper()
	paths := map[string]string{}
	for _, c := range got.Calls {
		paths[c.ID] = c.Path()
	}
	daily := objects(answer(paths["daily"]))
	var todays []map[string]any
	for _, r := range daily {
		if r["day"] == today {
			todays = append(todays, r)
		}
	}
	if len(todays) == 0 {
		t.Errorf("the daily report has no row for today (%s): the check would prove nothing", today)
	}
	sameNumbers(t, "today", got.Today, sums(todays, "requests", "errors", "rate_limited", "input_tokens",
		"cache_read_input_tokens", "output_tokens", "reasoning_output_tokens", "cost_usd", "unpriced_requests"))

	cost := objects(answer(paths["cost"]))
	month := sums(cost, "requests", "input_tokens", "cache_read_input_tokens", "output_tokens", "cost_usd", "projected_month_usd")
	var unpriced []map[string]any
	for _, r := range cost {
		if r["status"] == "unpriced" {
			unpriced = append(unpriced, r)
		}
	}
	month["unpriced_requests"] = sums(unpriced, "requests")["requests"]
	sameNumbers(t, "month", got.Month, month)

	quota := objects(answer(paths["quota"]))
	if len(got.Quota) != len(quota) {
		t.Errorf("quota: the page shows %d rows, the report has %d", len(got.Quota), len(quota))
	}
	for _, q := range quota {
		i := slices.IndexFunc(got.Quota, func(s struct {
			Provider, Model, Resource, Window, State string
			Remaining, Limit, Utilization, Badge     string
		}) bool {
			return s.Provider == q["provider"] && s.Model == q["model"] && s.Resource == q["resource"] && s.Window == q["window"]
		})
		if i < 0 {
			t.Errorf("quota %v %v %v %v: not on the page", q["provider"], q["model"], q["resource"], q["window"])
			continue
		}
		s := got.Quota[i]
		want := map[string]string{"remaining": num(q["remaining"]), "limit": num(q["limit"]), "utilization": num(q["utilization"])}
		sameNumbers(t, fmt.Sprintf("quota %s %s %s/%s", s.Provider, s.Model, s.Resource, s.Window), map[string]string{
			"remaining": s.Remaining, "limit": s.Limit, "utilization": s.Utilization}, want)
		// Colour is never the only signal: the state is also said in words.
		wantState := quotaState(q)
		if s.State != wantState || !strings.Contains(s.Badge, map[string]string{"ok": "OK", "warning": "near limit", "exhausted": "exhausted"}[wantState]) {
			t.Errorf("quota %s %s %s/%s: state %s %q, want %s", s.Provider, s.Model, s.Resource, s.Window, s.State, s.Badge, wantState)
		}
	}

	users := objects(answer(paths["users"]))
	sort.SliceStable(users, func(i, j int) bool {
		a, b := asFloat(users[i]["total_tokens"]), asFloat(users[j]["total_tokens"])
		if a != b {
			return a > b
		}
		return users[i]["user_id"].(string) < users[j]["user_id"].(string)
	})
	users = users[:min(len(users), 10)]
	if len(got.Users) != len(users) {
		t.Errorf("top users: the page shows %d, the report has %d (of at most 10)", len(got.Users), len(users))
	}
	for i := range min(len(got.Users), len(users)) {
		if got.Users[i].Key != users[i]["user_id"] || !sameNumber(got.Users[i].Value, num(users[i]["total_tokens"])) {
			t.Errorf("top user %d: page %s %s, report %v %v", i+1, got.Users[i].Key, got.Users[i].Value, users[i]["user_id"], users[i]["total_tokens"])
		}
	}

	// The header's one line per provider, as the widget's rule says.
	want := quotaLines(quota)
	if len(got.Widget) != len(want) {
		t.Errorf("header quota: %d lines %v, want %d %v", len(got.Widget), got.Widget, len(want), want)
	}
	for i := range min(len(got.Widget), len(want)) {
		if !strings.HasPrefix(got.Widget[i].Text, want[i].text) || got.Widget[i].State != want[i].state {
			t.Errorf("header quota line %d: %q (%s), want %q (%s)", i, got.Widget[i].Text, got.Widget[i].State, want[i].text, want[i].state)
		}
	}
}

func num(v any) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(asFloat(v), 'g', -1, 64)
}

// quotaState is the widget's rule: exhausted when nothing remains, warning past the
// report's threshold.
func quotaState(q map[string]any) string {
	switch {
	case asFloat(q["limit"]) > 0 && q["remaining"] != nil && asFloat(q["remaining"]) <= 0:
		return "exhausted"
	case q["warning"] == true:
		return "warning"
	}
	return "ok"
}

type quotaLine struct{ text, state string }

// quotaLines is the header's summary, computed here from the quota report as the
// widget documents it: per provider, the model closest to running out; its requests
// per minute and per day ("Gemini: 12 RPM / 230 RPD"), else its day's requests or its
// most used window ("Groq: 14,123 / 14,400 requests today").
func quotaLines(rows []map[string]any) []quotaLine {
	rank := map[string]int{"ok": 0, "warning": 1, "exhausted": 2}
	worse := func(a, b map[string]any) bool {
		if ra, rb := rank[quotaState(a)], rank[quotaState(b)]; ra != rb {
			return ra > rb
		}
		return asFloat(a["utilization"]) > asFloat(b["utilization"])
	}
	names := map[string]string{"groq": "Groq", "gcp.gemini": "Gemini"}
	words := map[string]string{"1d": "today", "1m": "this minute"}
	grouped := func(v any) string {
		s := strconv.FormatInt(int64(math.Round(asFloat(v))), 10)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	}
	var order []string
	by := map[string][]map[string]any{}
	for _, q := range rows {
		p := q["provider"].(string)
		if by[p] == nil {
			order = append(order, p)
		}
		by[p] = append(by[p], q)
	}
	var out []quotaLine
	for _, p := range order {
		qs := by[p]
		worst := qs[0]
		for _, q := range qs[1:] {
			if worse(q, worst) {
				worst = q
			}
		}
		var rpm, rpd, most map[string]any
		for _, q := range qs {
			if q["model"] != worst["model"] {
				continue
			}
			switch {
			case q["resource"] == "requests" && q["window"] == "1m":
				rpm = q
			case q["resource"] == "requests" && q["window"] == "1d":
				rpd = q
			}
			if most == nil || worse(q, most) {
				most = q
			}
		}
		var text string
		switch {
		case rpm != nil && rpd != nil:
			text = grouped(rpm["remaining"]) + " RPM / " + grouped(rpd["remaining"]) + " RPD"
		default:
			q := rpd
			if q == nil {
				q = most
			}
			text = grouped(q["remaining"]) + " / " + grouped(q["limit"]) + " " + q["resource"].(string) + " " + words[q["window"].(string)]
		}
		out = append(out, quotaLine{names[p] + ": " + text, quotaState(worst)})
	}
	return out
}

// usable checks the page at the current width: nothing wider than the screen, every
// control named, every chart with a table view.
func usable(t *testing.T, b *browser, width int) {
	t.Helper()
	type layout struct {
		PageWidth, ViewWidth int
		Unnamed, Overflowing []string
		Charts, ChartTables  int
		CostFits             bool
	}
	l := eval[layout](t, b, `(() => {
  const visible = e => e.offsetParent !== null;
  const name = e => (e.getAttribute('aria-label') || (e.labels && e.labels.length && e.labels[0].textContent) || e.textContent || e.title || '').trim();
  const cost = document.querySelector('#cost .table-wrap');
  return {
    pageWidth: document.documentElement.scrollWidth, viewWidth: window.innerWidth,
    unnamed: [...document.querySelectorAll('button, select, input, summary, a[href]')].filter(visible).filter(e => !name(e)).map(e => e.outerHTML.slice(0, 80)),
    overflowing: [...document.querySelectorAll('.panel')].filter(p => p.getBoundingClientRect().right > window.innerWidth + 1).map(p => p.id),
    charts: document.querySelectorAll('figure.chart svg[role=img][aria-label]').length,
    chartTables: document.querySelectorAll('figure.chart details.table-view table').length,
    costFits: !cost || cost.scrollWidth <= cost.clientWidth + 1,
  };
})()`)
	if l.PageWidth > l.ViewWidth {
		t.Errorf("at %d px the page is %d px wide: it scrolls sideways", width, l.PageWidth)
	}
	if len(l.Overflowing) > 0 {
		t.Errorf("at %d px these panels overflow the screen: %v", width, l.Overflowing)
	}
	if len(l.Unnamed) > 0 {
		t.Errorf("at %d px controls without a label: %v", width, l.Unnamed)
	}
	if l.Charts == 0 || l.Charts != l.ChartTables {
		t.Errorf("%d charts with a description, %d table views: every chart needs both", l.Charts, l.ChartTables)
	}
	if width >= 1440 && !l.CostFits {
		t.Errorf("at %d px the cost table does not fit its panel", width)
	}
}

func todayUTC() string { return time.Now().UTC().Format(time.DateOnly) }
