package console

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aiusage/aiusage/queries"
)

// Plan is what the console asks the report endpoint for: the same list on the first
// load and on every refresh, each report once, so that its panels share the answers.
// It lives in assets/plan.json, which the page's script reads too; the static report
// and the first-load benchmark resolve it here.
type Plan struct {
	// RefreshSeconds is the time between two refreshes of a live console.
	RefreshSeconds int `json:"refresh_seconds"`
	// MaxInFlight is how many requests the console sends at once: the endpoint runs one
	// query at a time, and the rest wait in its bounded queue.
	MaxInFlight int `json:"max_in_flight"`
	// Ranges are the day ranges the console offers; DefaultRange is the first shown.
	Ranges       []int `json:"ranges"`
	DefaultRange int   `json:"default_range"`
	// Filters are the report parameters that narrow the console to a user, project or
	// model; they are passed to every report that declares them.
	Filters []string `json:"filters"`
	// Requests are the reports asked for, in order.
	Requests []Request `json:"requests"`
}

// Request is one report the console asks for. Param values name the console's
// variables in braces ({from}, {to}, {days}, {as_of}); a value that comes out empty,
// or a parameter the served report does not declare, is left out.
type Request struct {
	// ID names the answer for the panels that read it.
	ID     string            `json:"id"`
	Report string            `json:"report"`
	Params map[string]string `json:"params"`
	// Optional requests are asked for only when the server offers the report: panels
	// for reports other versions add (budgets, anomalies) appear when they exist.
	Optional bool `json:"optional,omitempty"`
}

// Vars are the values the parameter templates of a plan name.
type Vars struct {
	// To is the last UTC day shown, YYYY-MM-DD.
	To string
	// Days is how many days the range covers, ending with To.
	Days int
	// AsOf is the moment quotas are read at, RFC 3339; empty means now.
	AsOf string
}

// From is the first day of the range.
func (v Vars) From() string {
	t, err := time.Parse(time.DateOnly, v.To)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1-v.Days).Format(time.DateOnly)
}

func (v Vars) expand(template string) string {
	return strings.NewReplacer("{from}", v.From(), "{to}", v.To, "{days}", strconv.Itoa(v.Days), "{as_of}", v.AsOf).Replace(template)
}

// Call is one request of a plan, resolved for a server's reports, a range and filters.
type Call struct {
	ID     string            `json:"id"`
	Report string            `json:"report"`
	Params map[string]string `json:"params"`
}

// Path is the call's path and query on the report endpoint, arguments sorted by name.
func (c Call) Path() string {
	q := url.Values{}
	for k, v := range c.Params {
		q.Set(k, v)
	}
	p := "/reports/" + url.PathEscape(c.Report)
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// Resolve returns the calls of the plan for the reports offered, the range in v and
// the filters (parameter name to value; empty values are no filter). A required report
// that is not offered is an error; an optional one is left out.
func (p *Plan) Resolve(offered []*queries.Report, v Vars, filters map[string]string) ([]Call, error) {
	var calls []Call
	for _, req := range p.Requests {
		i := slices.IndexFunc(offered, func(r *queries.Report) bool { return r.Name == req.Report })
		if i < 0 {
			if req.Optional {
				continue
			}
			return nil, fmt.Errorf("the report endpoint offers no report %s, which the console needs", req.Report)
		}
		rep := offered[i]
		params := map[string]string{}
		for name, tmpl := range req.Params {
			if _, ok := rep.Param(name); ok {
				if val := v.expand(tmpl); val != "" {
					params[name] = val
				}
			}
		}
		for _, name := range p.Filters {
			if _, ok := rep.Param(name); ok && filters[name] != "" {
				params[name] = filters[name]
			}
		}
		calls = append(calls, Call{ID: req.ID, Report: req.Report, Params: params})
	}
	return calls, nil
}

// LoadPlan returns the console's plan, as embedded.
func LoadPlan() (*Plan, error) { return loadPlan() }

var loadPlan = sync.OnceValues(func() (*Plan, error) {
	raw, err := assets.ReadFile("assets/plan.json")
	if err != nil {
		return nil, fmt.Errorf("console plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("console plan assets/plan.json: %w", err)
	}
	return &p, nil
})
