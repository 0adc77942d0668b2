package queries

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/queries/queriestest"
)

func TestHandlerAndClient(t *testing.T) {
	db := newFileDB(t)
	srv := httptest.NewServer(NewHandler(db, DefaultLimits(), nil))
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
	if want := []string{"anomalies", "budgets", "cost", "cost_units", "daily", "prices", "projects", "quota", "rate_limited", "rates", "spend", "users"}; !reflect.DeepEqual(served, want) {
		t.Errorf("served %v, want the read-only reports %v", served, want)
	}

	// Over HTTP a report returns what it returns run directly, cell types included.
	for _, name := range served {
		direct := runReport(t, db, name, dataArgs[name])
		remote, err := c.Run(ctx, name, dataArgs[name])
		if err != nil {
			t.Fatalf("%s over HTTP: %v", name, err)
		}
		if !reflect.DeepEqual(direct.Columns, remote.Columns) || !queriestest.SameRows(direct.Rows, remote.Rows) {
			t.Errorf("%s over HTTP differs:\n direct %v\n remote %v", name, direct, remote)
		}
	}

	// The client reports the server's error text and sends the token.
	var gotAuth string
	authSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		NewHandler(db, DefaultLimits(), nil).ServeHTTP(w, r)
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

// get requests path from srv and returns the status, the Retry-After header and the body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

func TestHandlerAnswers(t *testing.T) {
	srv := httptest.NewServer(NewHandler(newFileDB(t), DefaultLimits(), nil))
	defer srv.Close()
	long := strings.Repeat("x", 900_000)
	many := strings.Repeat("a=1&", 10_000) + "a=1"
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"csv", "/reports/daily?from_day=2026-11-05&to_day=2026-11-05&format=csv", 200, "day,provider,model,requests,"},
		{"a filter", "/reports/users?days=5&to_day=2026-11-05&user_id=ana", 200, `"rows":[["ana",`},
		{"an escaped filter", "/reports/users?days=5&to_day=2026-11-05&user_id=%61na", 200, `"rows":[["ana",`},
		{"injection is a value", "/reports/users?user_id=%27%20OR%201%3D1%20--", 200, `"rows":[]`},
		{"limits", `/reports/rates?as_of=2026-11-05T12:00:00Z&limits=` + url.QueryEscape(`[{"provider":"gcp.gemini","rpm":10,"model":null}]`), 200, `"rows":[`},

		// A query string that cannot be read is refused, never read as no filter.
		{"broken escape in a value", "/reports/users?user_id=u1%zz", 400, `query argument user_id: value \"u1%zz\" has a broken %-escape`},
		{"broken escape in a name", "/reports/users?user%zz=u1", 400, `query argument user%zz: the name has a broken %-escape`},
		{"semicolon", "/reports/users?user_id=u1;days=3", 400, `query argument user_id: contains \";\"`},
		{"escaped semicolon is a value", "/reports/users?user_id=u1%3Bdays%3D3&to_day=2026-11-05", 200, `"rows":[]`},
		{"more than 16 arguments", "/reports/users?" + many, 400, "query string: 10001 arguments, at most 16"},
		{"17 arguments", "/reports/users?" + strings.Repeat("a=1&", 16) + "a=1", 400, "17 arguments, at most 16"},
		{"no name", "/reports/users?=u1", 400, `an argument has no name (\"=u1\")`},
		{"given twice", "/reports/daily?from_day=2026-11-01&from_day=2026-11-02", 400, "query argument from_day: given twice"},
		{"value too long", "/reports/users?user_id=" + long, 400, "query argument user_id: value of 900000 bytes, at most 4096"},
		{"unknown parameter", "/reports/daily?from=2026-11-01", 400, "parameter from: not a parameter of this report (it takes from_day, to_day, user_id, project_id, model)"},
		{"long unknown parameter", "/reports/daily?" + strings.Repeat("p", 5000) + "=1", 400, `query argument \"ppp`},

		// Every malformed value is a 400 naming the parameter, before DuckDB sees it.
		{"not a date", "/reports/daily?from_day=2026-11-5", 400, `parameter from_day: \"2026-11-5\" is not a date`},
		{"days overflow", "/reports/quota?days=2147483647", 400, `parameter days: \"2147483647\" is out of range (want 1..36500)`},
		{"days beyond int64", "/reports/users?days=99999999999999999999", 400, "is out of range (want 1..36500)"},
		{"days zero", "/reports/users?days=0", 400, "is out of range (want 1..36500)"},
		{"hours overflow", "/reports/rate_limited?hours=2147483647", 400, "out of range (want 1..876000)"},
		{"not a number", "/reports/quota?threshold=lots", 400, `parameter threshold: \"lots\" is not a finite number`},
		{"time beyond 9999", "/reports/quota?as_of=9999-12-31T23:00:00-05:00", 400, "is outside the years 0000 to 9999"},
		{"limits not JSON", "/reports/rates?limits=" + url.QueryEscape(`[{"provider":`), 400, `parameter limits: \"[{\\\"provider\\\":\" is not JSON (unexpected end)`},
		{"limits not a list", "/reports/rates?limits=" + url.QueryEscape(`{"provider":"groq"}`), 400, "at the top level: want a list"},
		{"limits key typo", "/reports/rates?limits=" + url.QueryEscape(`[{"provider":"groq","rmp":5}]`), 400, `at [0]: unknown key \"rmp\" (known: model, provider, rpd, rpm, tpm)`},
		{"limits number as text", "/reports/rates?limits=" + url.QueryEscape(`[{"rpm":"10"}]`), 400, "at [0].rpm: want a whole number"},
		{"limits fraction", "/reports/rates?limits=" + url.QueryEscape(`[{"rpm":1.5}]`), 400, "at [0].rpm: want a whole number of at most 64 bits"},
		{"limits overflow", "/reports/rates?limits=" + url.QueryEscape(`[{"tpm":1e30}]`), 400, "at [0].tpm: want a whole number of at most 64 bits"},
		{"limits two values", "/reports/rates?limits=" + url.QueryEscape(`[] []`), 400, "is not JSON (more than one value)"},
		{"format", "/reports/daily?format=xml", 400, `query argument format: \"xml\" is not json or csv`},
		{"list takes no arguments", "/reports?x=1", 400, "query argument x: the report list takes no arguments"},

		{"unknown report", "/reports/dialy", 404, `unknown report \"dialy\" (known: anomalies, budgets, cost, cost_units, daily,`},
		{"long unknown report", "/reports/" + strings.Repeat("r", 5000), 404, `unknown report \"rrr`},
		{"path traversal", "/reports/..%2F..%2Fetc%2Fpasswd", 404, `unknown report \"../../etc/passwd\"`},
		{"retention writes", "/reports/retention", 403, "changes the database (ai_usage_log, ai_quota_snapshot, ai_metric_gauge,"},
		{"rollup writes", "/reports/rollup?from_day=2026-11-01", 403, "not served"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := get(t, srv, tt.path)
			if code != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %.200s = %d %.500s, want %d containing %s", tt.path, code, body, tt.wantStatus, tt.wantBody)
			}
			if code != http.StatusOK && len(body) > maxErrorBody+64 {
				t.Errorf("error body of %d bytes: an error repeats at most a short prefix of a value", len(body))
			}
		})
	}
	resp, err := http.Post(srv.URL+"/reports/daily", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", resp.StatusCode)
	}
}

// TestParameterExtremesRun: the bounds of every served parameter run on DuckDB, so
// that what Bind accepts never turns into a 500.
func TestParameterExtremesRun(t *testing.T) {
	srv := httptest.NewServer(NewHandler(newFileDB(t), Limits{MaxConcurrent: 1, MaxQueued: 64, QueryTimeout: time.Minute}, nil))
	defer srv.Close()
	extremes := map[string][]string{
		"DATE":        {"0000-01-01", "9999-12-31"},
		"TIMESTAMPTZ": {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2026-11-05T12:00:00+14:00"},
		"DOUBLE":      {"-1.7976931348623157e308", "1.7976931348623157e308", "5e-324"},
		"VARCHAR":     {"", "\u00e9\u0000x", strings.Repeat("é", maxVarcharParam/2)},
	}
	for _, rep := range All() {
		if !rep.ReadOnly() {
			continue
		}
		for _, p := range rep.Params {
			values := extremes[p.Type]
			switch {
			case p.Range != nil:
				values = []string{strconv.FormatInt(p.Range.Min, 10), strconv.FormatInt(p.Range.Max, 10)}
			case p.Shape != "":
				values = []string{"null", "[]", "[null]", `[{"provider":null,"model":"","rpm":-9223372036854775808,"rpd":9223372036854775807,"tpm":0}]`}
			}
			for _, v := range values {
				for _, other := range []map[string]string{{}, dataArgs[rep.Name]} {
					q := url.Values{}
					for k, ov := range other {
						q.Set(k, ov)
					}
					q.Set(p.Name, v)
					if code, _, body := get(t, srv, "/reports/"+rep.Name+"?"+q.Encode()); code != http.StatusOK {
						t.Errorf("%s %s=%.40q: %d %s", rep.Name, p.Name, v, code, body)
					}
				}
			}
		}
	}
}

// FuzzHandler: whatever the query string, a report answers 200 or a 400 saying what is
// wrong, never a 500 (what Bind lets through runs on DuckDB), and an error body stays
// short.
func FuzzHandler(f *testing.F) {
	for _, q := range []string{
		"days=7", "user_id=u1%zz", "user_id=u1;x", "limits=%5B%7B", "as_of=0000-01-01T00:00:00Z&hours=876000",
		"days=36500&to_day=0000-01-01", "to_day=9999-12-31&days=1", "from_day=9999-12-31&to_day=0000-01-01",
		"limits=%5B%7B%22rpm%22%3A1%7D%5D&as_of=9999-12-31T23:59:59Z&hours=1", "threshold=-1e308&days=36500",
		"as_of=0000-01-01", "format=csv&in_force_on=0000-01-01",
	} {
		f.Add(uint8(0), q)
	}
	h := NewHandler(newFileDB(f), Limits{MaxConcurrent: 1, MaxQueued: 1 << 20, QueryTimeout: time.Minute}, nil)
	var names []string
	for _, r := range All() {
		if r.ReadOnly() {
			names = append(names, r.Name)
		}
	}
	f.Fuzz(func(t *testing.T, report uint8, rawQuery string) {
		name := names[int(report)%len(names)]
		req := httptest.NewRequest(http.MethodGet, "/reports/"+name, nil)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			var eb errorBody
			if json.Unmarshal(rec.Body.Bytes(), &eb) != nil || eb.Error == "" || rec.Body.Len() > maxErrorBody+64 {
				t.Fatalf("%s?%s: 400 body %.300q", name, rawQuery, rec.Body.String())
			}
		default:
			t.Fatalf("%s?%s: %d %s", name, rawQuery, rec.Code, rec.Body.String())
		}
	})
}
