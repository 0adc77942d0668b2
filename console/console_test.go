package console_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

func serve(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	console.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestMountServesThePageAndItsAssets(t *testing.T) {
	srv := serve(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/console/", 200, "text/html; charset=utf-8", `<script type="application/json" id="aiusage-plan">{"refresh_seconds":30`},
		{"GET", "/console/console.js", 200, "text/javascript; charset=utf-8", "AIUsageConsole"},
		{"GET", "/console/widget.js", 200, "text/javascript; charset=utf-8", "customElements.define('aiusage-quota'"},
		{"GET", "/console/console.css", 200, "text/css; charset=utf-8", ".quota-row"},
		{"HEAD", "/console/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/", 302, "", ""},
		{"POST", "/console/", 405, "", ""},
		{"GET", "/console/page.html", 404, "", ""}, // the template is not served
		{"GET", "/console/plan.json", 404, "", ""}, // the plan is in the page
		{"GET", "/console/missing.js", 404, "", ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || tt.contentType != "" && resp.Header.Get("Content-Type") != tt.contentType ||
			!strings.Contains(string(body), tt.body) {
			t.Errorf("%s %s = %d %s %.80q, want %d %s containing %q", tt.method, tt.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, tt.status, tt.contentType, tt.body)
		}
		if tt.path == "/" && resp.Header.Get("Location") != "/console/" {
			t.Errorf("/ redirects to %q", resp.Header.Get("Location"))
		}
		if tt.path == "/console/" && tt.method == "GET" {
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("page CSP %q", csp)
			}
		}
	}

	// An unchanged asset costs a 304.
	resp, err := http.Get(srv.URL + "/console/console.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest("GET", srv.URL+"/console/console.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if etag == "" || resp.StatusCode != http.StatusNotModified || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("revalidation: ETag %q, status %d, Cache-Control %q", etag, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// TestAssetsAreSelfContained: the page loads nothing from elsewhere, and no inlined
// script can end the static page's script element early.
func TestAssetsAreSelfContained(t *testing.T) {
	err := fs.WalkDir(os.DirFS("assets"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile("assets/" + path)
		if err != nil {
			return err
		}
		s := string(b)
		for _, u := range regexp.MustCompile(`https?://[^\s'"]+`).FindAllString(s, -1) {
			if u != "http://www.w3.org/2000/svg" && u != "http://www.w3.org/2000/svg'%3E%3Crect" {
				t.Errorf("%s refers to %s", path, u)
			}
		}
		if strings.HasSuffix(path, ".js") && regexp.MustCompile(`(?i)</script|<!--`).MatchString(s) {
			t.Errorf("%s holds </script or <!--, which would end or confuse the static page's inline script", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAllowOrigins(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "report") })
	h := console.AllowOrigins([]string{"https://app.example.com", "HTTP://LOCALHOST:3000", "https://old.example.com:443"}, next)
	tests := []struct {
		name, method, origin, reqMethod string
		status                          int
		allowOrigin, body               string
	}{
		{"same origin (no Origin header)", "GET", "", "", 200, "", "report"},
		{"an allowed origin", "GET", "https://app.example.com", "", 200, "https://app.example.com", "report"},
		{"an allowed origin, configured in capitals", "GET", "http://localhost:3000", "", 200, "http://localhost:3000", "report"},
		{"an allowed origin, configured with its default port", "GET", "https://old.example.com", "", 200, "https://old.example.com", "report"},
		{"another origin: answered, unreadable", "GET", "https://evil.example", "", 200, "", "report"},
		{"another port", "GET", "https://app.example.com:8443", "", 200, "", "report"},
		{"preflight of an allowed origin", "OPTIONS", "https://app.example.com", "GET", 204, "https://app.example.com", ""},
		{"preflight of another origin", "OPTIONS", "https://evil.example", "GET", 403, "", "not in reports.cors_allowed_origins"},
		{"preflight of a POST", "OPTIONS", "https://app.example.com", "POST", 405, "", "GET only"},
		{"OPTIONS that is no preflight", "OPTIONS", "https://app.example.com", "", 200, "https://app.example.com", "report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/reports/quota", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", tt.reqMethod)
				req.Header.Set("Access-Control-Request-Headers", "authorization")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status || w.Header().Get("Access-Control-Allow-Origin") != tt.allowOrigin || !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("%d, Allow-Origin %q, body %q; want %d, %q, %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"), w.Body.String(), tt.status, tt.allowOrigin, tt.body)
			}
			if tt.origin != "" && !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Error("answer to a request with Origin does not Vary on it: a cache could hand it to another origin")
			}
			if tt.status == 204 && (w.Header().Get("Access-Control-Allow-Headers") != "Authorization" || w.Header().Get("Access-Control-Allow-Methods") != "GET, HEAD") {
				t.Errorf("preflight headers %v", w.Header())
			}
			if tt.allowOrigin != "" && tt.status == 200 && w.Header().Get("Access-Control-Expose-Headers") != "Retry-After" {
				t.Error("Retry-After is not readable across origins: the widget could not wait as asked")
			}
		})
	}
	if reflect.ValueOf(console.AllowOrigins(nil, next)).Pointer() != reflect.ValueOf(next).Pointer() {
		t.Error("with no origins, the handler is not left as it was")
	}
}

func TestCheckOrigin(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://app.example.com", "https://app.example.com", ""},
		{"HTTPS://App.Example.COM", "https://app.example.com", ""},
		{"http://localhost:3000", "http://localhost:3000", ""},
		{"http://127.0.0.1:80", "http://127.0.0.1", ""},
		{"https://[::1]:8443", "https://[::1]:8443", ""},
		{"*", "", "every web page"},
		{"app.example.com", "", "scheme must be http or https"},
		{"ftp://app.example.com", "", "scheme must be http or https"},
		{"https://app.example.com/", "", "no path"},
		{"https://app.example.com/app", "", "no path"},
		{"https://app.example.com?x=1", "", "no path"},
		{"https://user@app.example.com", "", "no path, query or user"},
		{"https://", "", "names no host"},
		{"https://app.example.com:", "", "names no host"},
		{"", "", "scheme must be"},
	}
	for _, tt := range tests {
		got, err := console.CheckOrigin(tt.in)
		if got != tt.want || tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckOrigin(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzCheckOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example.com", "http://LOCALHOST:80", "*", "https://a/b", "http://[::1]:1", "https://x:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := console.CheckOrigin(s)
		if err != nil {
			return
		}
		// An accepted origin is canonical: checking it again changes nothing.
		again, err := console.CheckOrigin(got)
		if err != nil || again != got {
			t.Errorf("CheckOrigin(%q) = %q, which checks as %q, %v", s, got, again, err)
		}
	})
}

func TestPlanResolve(t *testing.T) {
	plan, err := console.LoadPlan()
	if err != nil {
		t.Fatal(err)
	}
	var served, optional []*queries.Report
	for _, r := range queries.All() {
		switch {
		case r.Name == "budgets" || r.Name == "anomalies": // the plan's optional reports, offered below
			optional = append(optional, r)
		case r.ReadOnly():
			served = append(served, r)
		}
	}
	v := console.Vars{To: "2026-11-05", Days: 7}
	calls, err := plan.Resolve(served, v, map[string]string{"user_id": "ana", "model": ""})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, c := range calls {
		paths[c.ID] = c.Path()
	}
	want := map[string]string{
		"quota":    "/reports/quota", // {as_of} is empty: now
		"daily":    "/reports/daily?from_day=2026-10-30&to_day=2026-11-05&user_id=ana",
		"cost":     "/reports/cost?as_of=2026-11-05&user_id=ana",
		"users":    "/reports/users?days=7&to_day=2026-11-05&user_id=ana",
		"projects": "/reports/projects?from_day=2026-10-30&to_day=2026-11-05&user_id=ana",
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("calls\n %v\nwant\n %v", paths, want)
	}

	// An optional report appears when it is offered, with the parameters it declares.
	budgets, err := queries.Parse("budgets", "-- Budgets.\n--\n-- Question: what is spent against each budget?\n--\n-- Parameters:\n--   as_of  DATE  day\n--\n-- Columns:\n--   name  VARCHAR  budget\nSELECT 'b' AS name WHERE getvariable('as_of') IS NULL OR true;")
	if err != nil {
		t.Fatal(err)
	}
	calls, err = plan.Resolve(append(served, budgets), console.Vars{To: "2026-11-05", Days: 7, AsOf: "2026-11-05T23:59:59Z"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := calls[len(calls)-1]
	if last.ID != "budgets" || last.Path() != "/reports/budgets?as_of=2026-11-05T23%3A59%3A59Z" || calls[0].Path() != "/reports/quota?as_of=2026-11-05T23%3A59%3A59Z" {
		t.Errorf("with budgets offered: %v", calls)
	}
	// This version's budgets and anomalies reports, with the parameters they declare.
	calls, err = plan.Resolve(append(served, optional...), console.Vars{To: "2026-11-05", Days: 7, AsOf: "2026-11-05T23:59:59Z"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls[len(calls)-2:] {
		paths[c.ID] = c.Path()
	}
	if paths["budgets"] != "/reports/budgets?as_of=2026-11-05T23%3A59%3A59Z" || paths["anomalies"] != "/reports/anomalies?from_day=2026-10-30&to_day=2026-11-05" {
		t.Errorf("budgets and anomalies: %v", paths)
	}
	// A report the console needs and the server lacks is an error naming it.
	if _, err := plan.Resolve(served[1:], v, nil); err == nil || !strings.Contains(err.Error(), "offers no report") {
		t.Errorf("without %s: %v", served[0].Name, err)
	}
	if plan.RefreshSeconds != 30 || plan.MaxInFlight < 1 || !reflect.DeepEqual(plan.Filters, []string{"user_id", "project_id", "model"}) {
		t.Errorf("plan %+v", plan)
	}
}

// TestWriteStatic: the answers are in the page as JSON that text in a report cannot
// break out of.
func TestWriteStatic(t *testing.T) {
	res := &queries.Result{Report: "users", Columns: []queries.Column{{Name: "user_id", Type: "VARCHAR"}},
		Rows: [][]any{{"</script><script>alert(1)</script>"}}}
	var buf bytes.Buffer
	err := console.WriteStatic(&buf, console.StaticReport{Title: "t <b>", Generated: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC),
		Vars: console.Vars{To: "2026-11-05", Days: 7}, Results: map[string]*queries.Result{"users": res},
		Calls: []console.Call{{ID: "users", Report: "users", Params: map[string]string{"days": "7"}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Contains(s, "<script>alert(1)") || !strings.Contains(s, "<title>t &lt;b&gt;</title>") {
		t.Error("report text is not escaped")
	}
	m := regexp.MustCompile(`(?s)id="aiusage-data">(.*?)</script>`).FindStringSubmatch(s)
	var data struct {
		Results map[string]*queries.Result
	}
	if m == nil || json.Unmarshal([]byte(m[1]), &data) != nil || data.Results["users"].Rows[0][0] != res.Rows[0][0] {
		t.Errorf("embedded answers do not read back: %v", m)
	}
}
