package queries

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/budget"
	"github.com/aiusage/aiusage/internal/schema/schematest"
	"github.com/aiusage/aiusage/queries/queriestest"
)

// dataBudgets are the data set's budgets: every scope kind, both periods, time zones on
// both sides of UTC, amounts that put them in different states at asOf.
var dataBudgets = []budget.Budget{
	{Name: "all-month", Scope: budget.ScopeAll, Period: budget.PeriodMonth, TimeZone: "UTC", AmountUSD: 100},
	{Name: "voice-month", Scope: budget.ScopeProject, Value: "voice", Period: budget.PeriodMonth, TimeZone: "Europe/Paris", AmountUSD: 5, Thresholds: []float64{0.5, 0.8, 1}},
	{Name: "ana-day", Scope: budget.ScopeUser, Value: "ana", Period: budget.PeriodDay, TimeZone: "America/Los_Angeles", AmountUSD: 0.0001},
	{Name: "gemini-cap", Scope: budget.ScopeProvider, Value: "gcp.gemini", Period: budget.PeriodMonth, TimeZone: "America/Los_Angeles", AmountUSD: 50, Thresholds: []float64{0.2, 1}, ProviderCap: true},
	{Name: "flash-day", Scope: budget.ScopeModel, Value: "gemini-2.5-flash", Period: budget.PeriodDay, TimeZone: "Asia/Tokyo", AmountUSD: 1},
	{Name: "answer-month", Scope: budget.ScopeAction, Value: "answer", Period: budget.PeriodMonth, TimeZone: "UTC", AmountUSD: 5, Thresholds: []float64{1, 2.5}},
}

func insertBudgets(ctx context.Context, db *sql.DB) error {
	for _, b := range dataBudgets {
		b.Normalize()
		if err := b.Validate(); err != nil {
			return err
		}
		if err := budget.Put(ctx, db, b); err != nil {
			return err
		}
	}
	return nil
}

// inScope says whether c counts toward b.
func inScope(b budget.Budget, c call) bool {
	model := c.model // the data set's response model, else request model, is the model
	switch b.Scope {
	case budget.ScopeAll:
		return true
	case budget.ScopeProvider:
		return c.provider == b.Value
	case budget.ScopeModel:
		return model == b.Value
	case budget.ScopeUser:
		return c.user == b.Value
	case budget.ScopeProject:
		return c.project == b.Value
	case budget.ScopeAction:
		return c.action == b.Value
	}
	return false
}

func TestBudgets(t *testing.T) {
	db, calls := newDB(t)
	res := runReport(t, db, "budgets", dataArgs["budgets"])
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Name] = i
	}
	got := map[string][]any{}
	for _, r := range res.Rows {
		got[r[0].(string)] = r
	}
	statuses := map[string]bool{}
	for _, b := range dataBudgets {
		b.Normalize()
		loc := b.Location()
		local := asOf.In(loc)
		start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		end := start.AddDate(0, 0, 1)
		if b.Period == budget.PeriodMonth {
			start = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
			end = start.AddDate(0, 1, 0)
		}
		var spend float64
		var unpriced int64
		for _, c := range calls {
			if !inScope(b, c) || c.start.Before(start) || c.start.After(asOf) {
				continue
			}
			if c.cost != nil {
				spend += *c.cost
			} else if c.costStatus == "unpriced" {
				unpriced++
			}
		}
		elapsed, length := asOf.Sub(start).Seconds(), end.Sub(start).Seconds()
		projected := spend / elapsed * length
		var threshold any
		for _, th := range b.Thresholds {
			if spend >= th*b.AmountUSD {
				threshold = th
			}
		}
		var overrun any
		if spend < b.AmountUSD && spend > 0 && b.AmountUSD/(spend/elapsed) < length {
			overrun = ts(start.Add(time.Duration(b.AmountUSD / (spend / elapsed) * float64(time.Second))))
		}
		status := "ok"
		switch {
		case spend >= b.AmountUSD:
			status = "exceeded"
		case threshold != nil:
			status = "warning"
		case projected > b.AmountUSD:
			status = "at_risk"
		}
		statuses[status] = true
		thresholds := make([]any, len(b.Thresholds))
		for i, th := range b.Thresholds {
			thresholds[i] = th
		}
		want := map[string]any{
			"budget": b.Name, "scope": b.Scope, "scope_value": b.Value, "period": b.Period, "time_zone": b.TimeZone,
			"period_start": ts(start), "period_end": ts(end), "amount_usd": b.AmountUSD,
			"spend_usd": spend, "used": spend / b.AmountUSD, "unpriced_requests": unpriced,
			"projected_usd": projected, "projected_overrun_at": overrun, "threshold": threshold,
			"thresholds": thresholds, "status": status, "provider_cap": b.ProviderCap,
		}
		row, ok := got[b.Name]
		if !ok {
			t.Errorf("no row for budget %s", b.Name)
			continue
		}
		for name, w := range want {
			g := row[col[name]]
			if name == "projected_overrun_at" && g != nil && w != nil {
				gt, _ := time.Parse(time.RFC3339Nano, g.(string))
				wt, _ := time.Parse(time.RFC3339Nano, w.(string))
				if gt.Sub(wt).Abs() > time.Millisecond {
					t.Errorf("budget %s: %s = %v, want %v", b.Name, name, g, w)
				}
				continue
			}
			if !queriestest.SameRows([][]any{{g}}, [][]any{{w}}) {
				t.Errorf("budget %s: %s = %v (%T), want %v (%T)", b.Name, name, g, g, w, w)
			}
		}
	}
	if len(res.Rows) != len(dataBudgets) {
		t.Errorf("%d rows, want one per budget (%d)", len(res.Rows), len(dataBudgets))
	}
	for _, s := range []string{"ok", "warning", "exceeded", "at_risk"} {
		if !statuses[s] {
			t.Errorf("no budget of the data set is %s; the test covers less than it claims (%v)", s, statuses)
		}
	}
	// One budget by name.
	if res := runReport(t, db, "budgets", map[string]string{"as_of": "2026-11-05T18:00:00Z", "budget": "ana-day"}); len(res.Rows) != 1 || res.Rows[0][0] != "ana-day" {
		t.Errorf("budget ana-day alone: %v", res.Rows)
	}
}

// TestBudgetsReadTheRollupForWholeDays checks that days the roll-up holds are read from
// it, edges from raw calls, and a day retention emptied from the roll-up: the same
// spend whichever way the days are stored.
func TestBudgetsReadTheRollupForWholeDays(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	args := map[string]string{"as_of": "2026-11-05T18:00:00Z"}
	before := runReport(t, db, "budgets", args)
	runReport(t, db, "rollup", map[string]string{"from_day": "2026-10-01", "to_day": "2026-11-05"})
	rolled := runReport(t, db, "budgets", args)
	// Retention: the raw calls of Nov 1 and 2 gone, their roll-up kept.
	if _, err := db.ExecContext(ctx, `DELETE FROM ai_usage_log WHERE day <= DATE '2026-11-02'`); err != nil {
		t.Fatal(err)
	}
	retained := runReport(t, db, "budgets", args)
	spend := func(res *Result) map[string]float64 {
		out := map[string]float64{}
		for _, r := range res.Rows {
			out[r[0].(string)] = r[8].(float64)
		}
		return out
	}
	b, r, k := spend(before), spend(rolled), spend(retained)
	for name := range b {
		if !queriestest.Near(b[name], r[name]) {
			t.Errorf("budget %s: spend %v from raw calls, %v with the roll-up", name, b[name], r[name])
		}
	}
	// Month budgets in UTC see the deleted days whole; Paris's month began on Oct 31 at
	// 23:00 UTC, so its first (edge) day, Nov 1, counts whole from the roll-up: its noon is inside.
	for _, name := range []string{"all-month", "answer-month", "voice-month"} {
		if !queriestest.Near(b[name], k[name]) {
			t.Errorf("budget %s: spend %v, %v after retention deleted raw days", name, b[name], k[name])
		}
	}
}

func TestBudgetsTableChecksMatchValidation(t *testing.T) {
	ctx := context.Background()
	db := schematest.Open(t, "") // in memory
	valid := budget.Budget{Name: "b", Scope: budget.ScopeProject, Value: "p", Period: budget.PeriodDay, AmountUSD: 1}
	for _, scope := range budget.Scopes {
		for _, period := range budget.Periods {
			b := valid
			b.Scope, b.Period = scope, period
			if scope == budget.ScopeAll {
				b.Value = ""
			}
			b.Normalize()
			if err := b.Validate(); err != nil {
				t.Fatalf("%s/%s: %v", scope, period, err)
			}
			if err := budget.Put(ctx, db, b); err != nil {
				t.Errorf("the table refuses scope %s, period %s that validation accepts: %v", scope, period, err)
			}
		}
	}
	for _, bad := range []budget.Budget{
		{Name: "s", Scope: "team", Value: "p", Period: "day", TimeZone: "UTC", AmountUSD: 1, Thresholds: []float64{1}},
		{Name: "p", Scope: "all", Period: "week", TimeZone: "UTC", AmountUSD: 1, Thresholds: []float64{1}},
		{Name: "a", Scope: "all", Period: "day", TimeZone: "UTC", AmountUSD: -1, Thresholds: []float64{1}},
	} {
		if bad.Validate() == nil {
			t.Errorf("validation accepts %+v", bad)
		}
		if err := budget.Put(ctx, db, bad); err == nil {
			t.Errorf("the table accepts %+v, which validation refuses", bad)
		}
	}
	list, err := budget.List(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(list))
	for i, b := range list {
		names[i] = b.Name
		if !slices.Equal(b.Thresholds, budget.DefaultThresholds) || b.TimeZone != "UTC" {
			t.Errorf("listed %+v", b)
		}
	}
	if !sort.StringsAreSorted(names) || len(list) != 1 { // one name, replaced each time
		t.Errorf("listed %v", names)
	}
}
