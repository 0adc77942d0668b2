package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// promQuery is one PromQL expression shipped in collector-config/, and where it is.
type promQuery struct {
	Source string // e.g. `dashboard aiusage.json panel "Cost per hour (USD)" query B`
	Expr   string
	// Alert is the alert rule's name when the expression is an alert's.
	Alert string
}

// rateWindow replaces Grafana's $__rate_interval: long enough to span the whole test.
const rateWindow = "10m"

// grafanaVars are the dashboard variables and what the test evaluates them as.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", rateWindow,
	"${provider:regex}", ".*",
	"${provider}", ".*",
	"$provider", ".*",
)

// dashboardQueries returns every panel query of every dashboard under
// collector-config/grafana/dashboards, with the dashboard variables substituted, and the
// metric names the variable queries (label_values) read.
func dashboardQueries(t *testing.T) (queries []promQuery, variableMetrics []string) {
	t.Helper()
	files, err := filepath.Glob(configPath("grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s (%v)", configPath("grafana", "dashboards"), err)
	}
	type target struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	}
	type panel struct {
		ID         int `json:"id"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Title   string   `json:"title"`
		Type    string   `json:"type"`
		Targets []target `json:"targets"`
		Panels  []panel  `json:"panels"` // a collapsed row's panels
	}
	var dash struct {
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	labelValues := regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dash.Panels, dash.Templating.List = nil, nil
		if err := json.Unmarshal(b, &dash); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if dash.UID == "" {
			t.Errorf("%s: no uid; links to the dashboard need one", filepath.Base(f))
		}
		ids := map[int]string{}
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				walk(p.Panels)
				if other, dup := ids[p.ID]; dup {
					t.Errorf("%s: panels %q and %q share id %d", filepath.Base(f), other, p.Title, p.ID)
				}
				ids[p.ID] = p.Title
				if p.Type == "row" {
					continue
				}
				// Every panel follows the dashboard's data source picker.
				if p.Datasource.UID != "${datasource}" {
					t.Errorf("%s: panel %q uses data source %q, not ${datasource}", filepath.Base(f), p.Title, p.Datasource.UID)
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s: panel %q has no query", filepath.Base(f), p.Title)
				}
				for _, tg := range p.Targets {
					q := promQuery{
						Source: filepath.Base(f) + " panel " + `"` + p.Title + `" query ` + tg.RefID,
						Expr:   grafanaVars.Replace(tg.Expr),
					}
					if strings.Contains(q.Expr, "$") {
						t.Errorf("%s: unknown dashboard variable in %q; teach grafanaVars its test value", q.Source, tg.Expr)
					}
					queries = append(queries, q)
				}
			}
		}
		walk(dash.Panels)
		for _, v := range dash.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				t.Errorf("%s: variable %s: query %q is not label_values(metric, label)", filepath.Base(f), v.Name, v.Definition)
				continue
			}
			variableMetrics = append(variableMetrics, m[1])
		}
	}
	return queries, variableMetrics
}

// rules is collector-config/prometheus/rules.yml as Prometheus reads it.
type rules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T) rules {
	t.Helper()
	b, err := os.ReadFile(configPath("prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var r rules
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatalf("rules.yml: %v", err)
	}
	return r
}

// ruleQueries returns the expression of every alert and recording rule, and the names
// the recording rules define.
func ruleQueries(t *testing.T) (queries []promQuery, recorded map[string]bool) {
	t.Helper()
	recorded = map[string]bool{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			q := promQuery{Expr: r.Expr, Alert: r.Alert}
			if r.Alert != "" {
				q.Source = "rules.yml alert " + r.Alert
			} else {
				q.Source = "rules.yml record " + r.Record
				recorded[r.Record] = true
			}
			queries = append(queries, q)
		}
	}
	if len(queries) == 0 {
		t.Fatal("rules.yml holds no rules")
	}
	return queries, recorded
}

// metricNames returns the metric names q's selectors read.
func metricNames(t *testing.T, q promQuery) []string {
	t.Helper()
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(q.Expr)
	if err != nil {
		t.Fatalf("%s: %q does not parse: %v", q.Source, q.Expr, err)
	}
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// TestDashboardAndRules checks, without running anything, that every dashboard panel
// has a query in PromQL that parses, with known variables and its own id, and that every
// rule expression parses. TestEndToEnd then runs them all against real data.
func TestDashboardAndRules(t *testing.T) {
	dash, vars := dashboardQueries(t)
	rules, _ := ruleQueries(t)
	if len(dash) == 0 || len(vars) == 0 {
		t.Fatalf("%d dashboard queries, %d variable queries", len(dash), len(vars))
	}
	for _, q := range append(dash, rules...) {
		metricNames(t, q) // fails the test on PromQL that does not parse
	}
}
