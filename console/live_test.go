package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// TestConsoleInBrowser loads the console a collector serves into headless Chromium, as
// a person opens it: with known traffic stored, the quota, today, month and top-user
// panels show the report endpoint's answers; a click on a user narrows every panel;
// the page works at phone and desktop widths and logs no error.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	col := startCollector(t, "", "")
	col.feed(t)

	// The token comes in the fragment, which never reaches a server or a log.
	b.do(t, chromedp.Navigate(col.URL+"/console/#token="+col.Token))
	b.waitFor(t, `document.body.dataset.loaded === 'true'`)
	if h := eval[string](t, b, `location.hash`); strings.Contains(h, "token") {
		t.Errorf("the token stays in the address bar: %q", h)
	}
	got := eval[shown](t, b, readPanels)

	// The page asks what the plan says, resolved as Go resolves it.
	plan, err := console.LoadPlan()
	if err != nil {
		t.Fatal(err)
	}
	list, err := col.client().Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Resolve(list, console.Vars{To: todayUTC(), Days: plan.DefaultRange}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Calls, want) {
		t.Errorf("the page asked for\n %v\nthe plan resolves to\n %v", got.Calls, want)
	}
	answer := func(path string) *queries.Result { return report(t, col, path) }
	expectPanels(t, col, got, todayUTC(), answer)

	for _, width := range []int64{1440, 375} {
		b.viewport(t, width)
		usable(t, b, int(width))
		b.screenshot(t, "console-"+strconv.FormatInt(width, 10), "")
	}
	b.viewport(t, 1440)

	// A click on the top user narrows every panel to that user.
	user := got.Users[0].Key
	renders := eval[string](t, b, `document.body.dataset.renders`)
	b.do(t, chromedp.Click(chromedp.CSS(`#top-users button[data-filter="user_id"][data-value="`+user+`"]`)))
	b.waitFor(t, `document.body.dataset.renders !== '`+renders+`' && JSON.parse(document.body.dataset.filters).user_id === '`+user+`'`)
	filtered := eval[shown](t, b, readPanels)
	for _, c := range filtered.Calls {
		if c.ID == "daily" || c.ID == "cost" || c.ID == "users" || c.ID == "projects" {
			if c.Params["user_id"] != user {
				t.Errorf("after the click, %s is asked without user_id=%s: %v", c.ID, user, c.Params)
			}
		}
	}
	expectPanels(t, col, filtered, todayUTC(), answer)
	if len(filtered.Users) != 1 || filtered.Users[0].Key != user {
		t.Errorf("top users after the click on %s: %v", user, filtered.Users)
	}
	if filtered.Today["requests"] == got.Today["requests"] && filtered.Month["requests"] == got.Month["requests"] {
		t.Errorf("the user's numbers equal everyone's (%s today, %s this month): the data set cannot show the filter works",
			got.Today["requests"], got.Month["requests"])
	}
	if !strings.Contains(strings.Join(filtered.Notes, "\n"), "Shows every user: a quota belongs to the provider account") {
		t.Errorf("the quota panel does not say it is not narrowed to a user: %v", filtered.Notes)
	}
	if h := eval[string](t, b, `location.hash`); h != "#user_id="+user {
		t.Errorf("the filter is not in the address (to share or reload): %q", h)
	}
	b.screenshot(t, "console-filtered-by-user", "")

	// Removing the filter shows everyone again.
	renders = eval[string](t, b, `document.body.dataset.renders`)
	b.do(t, chromedp.Click(chromedp.CSS(`#filters .chip button`)))
	b.waitFor(t, `document.body.dataset.renders !== '`+renders+`' && document.body.dataset.filters === '{}'`)
	again := eval[shown](t, b, readPanels)
	if again.Today["requests"] != got.Today["requests"] {
		t.Errorf("without the filter today shows %s requests, before %s", again.Today["requests"], got.Today["requests"])
	}
	if errs := b.takeErrors(); len(errs) > 0 {
		t.Errorf("the console logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestConsoleWaitsForABusyCollector: when the endpoint answers 503 with Retry-After,
// the console says it is busy, asks again after the wait, and then shows the answers.
func TestConsoleWaitsForABusyCollector(t *testing.T) {
	b := newBrowser(t)
	col := startCollector(t, "", "")
	col.feed(t)
	target, _ := url.Parse(col.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var turnedAway atomic.Int32
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first two reads of the quota report find the endpoint busy.
		if r.URL.Path == "/reports/quota" && turnedAway.Add(1) <= 2 {
			w.Header().Set("Retry-After", "1")
			queries.WriteError(w, http.StatusServiceUnavailable, errBusy)
			return
		}
		r.Host = target.Host // the endpoint answers only requests addressed to it
		proxy.ServeHTTP(w, r)
	}))
	defer busy.Close()

	b.do(t, chromedp.Navigate(busy.URL+"/console/#token="+col.Token))
	b.waitFor(t, `document.getElementById('status').dataset.state === 'busy'`)
	if s := eval[string](t, b, `document.getElementById('status').textContent`); !strings.Contains(s, "Collector busy: asking again in 1 s") {
		t.Errorf("busy status %q", s)
	}
	b.waitFor(t, `document.body.dataset.loaded === 'true'`)
	got := eval[shown](t, b, readPanels)
	if len(got.Quota) == 0 {
		t.Error("no quota after the endpoint stopped being busy")
	}
	if s := eval[string](t, b, `document.getElementById('status').textContent`); !strings.HasPrefix(s, "Last updated ") {
		t.Errorf("status after the wait: %q", s)
	}
	if n := turnedAway.Load(); n < 3 {
		t.Errorf("the quota report was asked %d times: the console gave up instead of waiting", n)
	}
	// The browser logs the 503s it was answered; nothing else.
	for _, e := range b.takeErrors() {
		if !strings.Contains(e, "503") {
			t.Errorf("the console logged %s", e)
		}
	}
}

var errBusy = &queries.BusyError{Reason: "the report endpoint is busy (test)"}
