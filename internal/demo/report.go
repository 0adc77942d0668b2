package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
	"github.com/aiusage/aiusage/instrumentation/semconv"
	"github.com/aiusage/aiusage/queries"
)

// Reporter reads reports from the collector's report endpoint, the same path as
// `aiusage report --server`.
type Reporter struct {
	// URL is the endpoint's base URL, e.g. http://127.0.0.1:8765.
	URL string
}

// Reports the demo prints, in order.
var demoReports = []string{"daily", "users", "cost", "spend", "quota", "budgets"}

func (r *Reporter) client() *queries.Client {
	return &queries.Client{BaseURL: r.URL, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
}

// Run runs one report.
func (r *Reporter) Run(ctx context.Context, name string, args map[string]string) (*queries.Result, error) {
	res, err := r.client().Run(ctx, name, args)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	return res, nil
}

// Requests is the number of calls stored, from the users report.
func (r *Reporter) Requests(ctx context.Context) (int64, error) {
	res, err := r.Run(ctx, "users", nil)
	if err != nil {
		return 0, err
	}
	col, err := Column(res, "requests")
	if err != nil {
		return 0, err
	}
	var n int64
	for _, row := range res.Rows {
		v, _ := row[col].(int64)
		n += v
	}
	return n, nil
}

// WaitStored polls until the collector stored want calls (one row per HTTP attempt) or
// a minute passed.
func (r *Reporter) WaitStored(ctx context.Context, want int64) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var got int64
	var err error
	for {
		if got, err = r.Requests(ctx); err == nil && got >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for %d stored calls: %w", want, err)
			}
			return fmt.Errorf("waiting for %d stored calls: %d after a minute", want, got)
		case <-tick.C:
		}
	}
}

// Print writes the demo's reports as tables.
func (r *Reporter) Print(ctx context.Context, w io.Writer) error {
	list, err := r.client().Reports(ctx)
	if err != nil {
		return fmt.Errorf("list reports: %w", err)
	}
	titles := map[string]string{}
	for _, rep := range list {
		titles[rep.Name] = rep.Title
	}
	for _, name := range demoReports {
		res, err := r.Run(ctx, name, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n== aiusage report %s: %s\n", name, titles[name])
		if err := res.Write(w, "table"); err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
	}
	return nil
}

// PrintVoice writes the cost_units report of the voice pipeline's project: each step's
// billed units (audio seconds after the minimum, characters, tokens per modality) and
// their cost.
func (r *Reporter) PrintVoice(ctx context.Context, w io.Writer) error {
	res, err := r.Run(ctx, "cost_units", map[string]string{"project_id": VoiceAttribution.ProjectID})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== aiusage report cost_units -project_id %s: the voice pipeline's units and cost\n", VoiceAttribution.ProjectID)
	if err := res.Write(w, "table"); err != nil {
		return fmt.Errorf("report cost_units: %w", err)
	}
	return nil
}

// Forecast describes when each quota runs out at the current pace, as the app's
// instrumentation sees it (Instrumentation.Quota).
func Forecast(states []quota.State, now time.Time) string {
	var b strings.Builder
	b.WriteString("Quota forecast (the app's own view: inst.Quota(), the quota JSON handler, the time_to_exhaustion gauge):\n")
	for _, s := range states {
		forecast := quota.DisplayForecast(s, now)
		switch s.Forecast {
		case semconv.ForecastNotBeforeReset:
			forecast = "does not run out before it resets"
		case semconv.ForecastUnknown:
			forecast = "too little history for a rate yet"
		}
		if s.Rate > 0 {
			forecast += fmt.Sprintf(" (%.3g %s/s)", s.Rate, s.Resource)
		}
		fmt.Fprintf(&b, "  %-11s %-42s %-56s %s\n", s.Provider, s.Model, quota.Display(s), forecast)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Column is the index of the column called name in res.
func Column(res *queries.Result, name string) (int, error) {
	for i, c := range res.Columns {
		if c.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("report %s: no column %q", res.Report, name)
}

// Summarize describes what the app saw: calls per provider and model and how they ended.
func Summarize(outcomes []Outcome) string {
	type key struct{ provider, model string }
	type counts struct{ ok, limited, failed int }
	by := map[key]*counts{}
	for _, o := range outcomes {
		k := key{string(o.Call.Provider), o.Call.Model}
		c := by[k]
		if c == nil {
			c = &counts{}
			by[k] = c
		}
		switch {
		case o.Err == nil:
			c.ok++
		case o.Status == http.StatusTooManyRequests:
			c.limited++
		default:
			c.failed++
		}
	}
	keys := make([]key, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].provider != keys[j].provider {
			return keys[i].provider < keys[j].provider
		}
		return keys[i].model < keys[j].model
	})
	var b strings.Builder
	b.WriteString("What the app saw:\n")
	for _, k := range keys {
		c := by[k]
		fmt.Fprintf(&b, "  %-11s %-42s %4d ok  %4d rate-limited (429)  %3d other errors\n", k.provider, k.model, c.ok, c.limited, c.failed)
	}
	return strings.TrimRight(b.String(), "\n")
}
