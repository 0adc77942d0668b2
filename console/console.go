// Package console is the web console of the aiusage collector: one page that shows
// quota, usage and cost at a glance, refreshed every 30 seconds, and the quota widget
// an app puts in its own header. The static page of `aiusage report html` is the same
// page with the answers written into it.
//
// Everything it serves is embedded (no external assets, nothing fetched but the report
// endpoint's JSON), and every number it shows is one the report endpoint answered, so
// it is one a report also shows. The page and its scripts carry no data and are served
// without the bearer token; the reports they read need it.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aiusage/aiusage/queries"
)

//go:embed assets
var assets embed.FS

// Path is where the console's page and assets are served.
const Path = "/console/"

// pageCSP keeps the live page to its own scripts and styles and the report endpoint;
// the static page has no such header and needs none (it fetches nothing).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// servedAssets are the files served under Path besides the page.
var servedAssets = []string{"console.css", "console.js", "widget.js"}

// Mount adds the console to mux: the page at Path, its assets below it, and a
// redirect from / to it.
func Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path+"{$}", servePage)
	for _, name := range servedAssets {
		mux.HandleFunc("GET "+Path+name, serveAsset(name))
	}
	mux.Handle("GET /{$}", http.RedirectHandler(Path, http.StatusFound))
}

func servePage(w http.ResponseWriter, r *http.Request) {
	page, err := livePage()
	if err != nil {
		queries.WriteError(w, http.StatusInternalServerError, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	serveContent(w, r, "index.html", page)
}

func serveAsset(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := assets.ReadFile("assets/" + name)
		if err != nil {
			queries.WriteError(w, http.StatusInternalServerError, fmt.Errorf("console asset %s: %w", name, err))
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// The widget's script is loaded by pages of other origins.
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		serveContent(w, r, name, body)
	}
}

// serveContent answers with body, revalidated by its digest: a new collector version
// is picked up at once, an unchanged asset costs a 304.
func serveContent(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	sum := sha256.Sum256(body)
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

// page is what the page template shows.
type page struct {
	Title  string
	Static bool
	// Plan is assets/plan.json; Data the static report's answers (JSON).
	Plan, Data template.JS
	// CSS and Scripts are inlined in the static page.
	CSS     template.CSS
	Scripts []template.JS
	// Fallback shows the static report's answers as text where scripts do not run.
	Fallback []fallbackTable
}

type fallbackTable struct{ Title, Text string }

var pageTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(assets, "assets/page.html")
})

var livePage = sync.OnceValues(func() ([]byte, error) {
	return render(page{Title: "aiusage console"})
})

func render(p page) ([]byte, error) {
	t, err := pageTemplate()
	if err != nil {
		return nil, fmt.Errorf("console page template: %w", err)
	}
	plan, err := assets.ReadFile("assets/plan.json")
	if err != nil {
		return nil, fmt.Errorf("console plan: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, plan); err != nil {
		return nil, fmt.Errorf("console plan: %w", err)
	}
	p.Plan = template.JS(compact.String())
	var out bytes.Buffer
	if err := t.Execute(&out, p); err != nil {
		return nil, fmt.Errorf("console page: %w", err)
	}
	return out.Bytes(), nil
}

// StaticReport is what `aiusage report html` writes: the console's page with the
// answers to its plan's calls in it, for a range that ends with Vars.To.
type StaticReport struct {
	Title     string
	Generated time.Time
	Vars      Vars
	// Reports are the reports offered, as GET /reports lists them.
	Reports []*queries.Report
	// Results are the answers by call ID (see [Plan.Resolve]).
	Results map[string]*queries.Result
	// Calls are the calls answered, in plan order.
	Calls []Call
}

// staticData is the JSON the page's script reads in place of the report endpoint.
type staticData struct {
	Generated string                     `json:"generated"`
	To        string                     `json:"to"`
	Days      int                        `json:"days"`
	AsOf      string                     `json:"as_of"`
	Reports   []*queries.Report          `json:"reports"`
	Results   map[string]*queries.Result `json:"results"`
	Calls     []Call                     `json:"calls"`
}

// WriteStatic writes r as one self-contained page: the console's stylesheet and
// scripts inlined, the answers in it, nothing fetched.
func WriteStatic(w io.Writer, r StaticReport) error {
	data, err := json.Marshal(staticData{
		Generated: r.Generated.UTC().Format(time.RFC3339), To: r.Vars.To, Days: r.Vars.Days, AsOf: r.Vars.AsOf,
		Reports: r.Reports, Results: r.Results, Calls: r.Calls,
	})
	if err != nil {
		return fmt.Errorf("static report data: %w", err)
	}
	p := page{Title: r.Title, Static: true, Data: template.JS(data)}
	css, err := assets.ReadFile("assets/console.css")
	if err != nil {
		return fmt.Errorf("console stylesheet: %w", err)
	}
	p.CSS = template.CSS(css)
	for _, name := range []string{"widget.js", "console.js"} {
		js, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return fmt.Errorf("console script %s: %w", name, err)
		}
		p.Scripts = append(p.Scripts, template.JS(js))
	}
	for _, c := range r.Calls {
		res := r.Results[c.ID]
		if res == nil {
			continue
		}
		var text strings.Builder
		if err := res.Write(&text, "table"); err != nil {
			return fmt.Errorf("static report %s: %w", c.ID, err)
		}
		p.Fallback = append(p.Fallback, fallbackTable{Title: c.Path(), Text: text.String()})
	}
	out, err := render(p)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
