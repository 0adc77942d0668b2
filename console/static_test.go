package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// TestStaticReportInBrowser opens the page `aiusage report html` writes, from a file,
// as someone opens a report sent to them: the same panels as the console, showing
// the answers written into it, at phone and desktop widths, the cost table within the
// page, nothing fetched and no error logged.
func TestStaticReportInBrowser(t *testing.T) {
	b := newBrowser(t)
	col := startCollector(t, "", "")
	col.feed(t)
	ctx := context.Background()

	plan, err := console.LoadPlan()
	if err != nil {
		t.Fatal(err)
	}
	list, err := col.client().Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vars := console.Vars{To: todayUTC(), Days: 14}
	calls, err := plan.Resolve(list, vars, nil)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]*queries.Result{}
	byPath := map[string]*queries.Result{}
	for _, c := range calls {
		res := report(t, col, c.Path())
		results[c.ID], byPath[c.Path()] = res, res
	}
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := console.WriteStatic(f, console.StaticReport{Title: "aiusage: last 14 days", Generated: time.Now(), Vars: vars,
		Reports: list, Results: results, Calls: calls}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	b.do(t, chromedp.Navigate("file://"+path))
	b.waitFor(t, `document.body.dataset.loaded === 'true'`)
	got := eval[shown](t, b, readPanels)
	got.Calls = calls // the static page asks nothing: its answers are the ones written
	expectPanels(t, col, got, todayUTC(), func(p string) *queries.Result { return byPath[p] })
	if n := eval[int](t, b, `[...document.querySelectorAll('.live-only, #explorer')].filter(e => e.offsetParent !== null).length`); n != 0 {
		t.Errorf("%d live-only controls shown in the static report", n)
	}
	if s := eval[string](t, b, `document.getElementById('status').textContent`); !strings.HasPrefix(s, "Generated ") {
		t.Errorf("static status %q", s)
	}
	for _, width := range []int64{1440, 375} {
		b.viewport(t, width)
		usable(t, b, int(width))
	}
	b.viewport(t, 1440)
	b.screenshot(t, "report-html", "")
	if errs := b.takeErrors(); len(errs) > 0 {
		t.Errorf("the static report logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
