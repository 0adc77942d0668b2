package queries

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestHandlerAndClient(t *testing.T) {
	db, _ := newDB(t)
	srv := httptest.NewServer(Handler(db))
	defer srv.Close()
	ctx := context.Background()
	c := &Client{BaseURL: srv.URL}

	list, err := c.Reports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range list {
		served = append(served, r.Name)
	}
	if want := []string{"cost", "daily", "prices", "projects", "quota", "rate_limited", "rates", "users"}; !reflect.DeepEqual(served, want) {
		t.Errorf("served %v, want the read-only reports %v", served, want)
	}

	// Over HTTP a report returns what it returns run directly, cell types included.
	for _, name := range served {
		direct := runReport(t, db, name, dataArgs[name])
		remote, err := c.Run(ctx, name, dataArgs[name])
		if err != nil {
			t.Fatalf("%s over HTTP: %v", name, err)
		}
		if !reflect.DeepEqual(direct.Columns, remote.Columns) || !sameCells(direct.Rows, remote.Rows) {
			t.Errorf("%s over HTTP differs:\n direct %v\n remote %v", name, direct, remote)
		}
	}

	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/reports/daily?from_day=2026-11-05&to_day=2026-11-05&format=csv", 200, "day,provider,model,requests,"},
		{"/reports/daily?from_day=2026-11-5", 400, `parameter from_day: \"2026-11-5\" is not a date`},
		{"/reports/daily?from_day=2026-11-01&from_day=2026-11-02", 400, "from_day: given 2 times"},
		{"/reports/daily?format=xml", 400, `format: \"xml\" is not json or csv`},
		{"/reports/dialy", 404, `unknown report \"dialy\" (known: cost, daily,`},
		{"/reports/retention", 403, "changes the database (ai_usage_log, ai_quota_snapshot, ai_metric_gauge,"},
		{"/reports/rollup?from_day=2026-11-01", 403, "not served"},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
			t.Errorf("GET %s = %d %s, want %d containing %s", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
		}
	}
	resp, err := http.Post(srv.URL+"/reports/daily", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", resp.StatusCode)
	}

	// The client reports the server's error text and sends the token.
	var gotAuth string
	authSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		Handler(db).ServeHTTP(w, r)
	}))
	defer authSrv.Close()
	_, err = (&Client{BaseURL: authSrv.URL, Token: "s3cret"}).Run(ctx, "users", map[string]string{"days": "x"})
	if err == nil || !strings.Contains(err.Error(), `400 Bad Request: report users: parameter days: "x" is not a whole number`) {
		t.Errorf("client error = %v", err)
	}
	if gotAuth != "Bearer s3cret" {
		t.Errorf("Authorization = %q", gotAuth)
	}
	if _, err := (&Client{BaseURL: "ftp://x"}).Reports(ctx); err == nil || !strings.Contains(err.Error(), "want http://host:port") {
		t.Errorf("bad URL error = %v", err)
	}
}
