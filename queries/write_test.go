package queries

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aiusage/aiusage/queries/queriestest"
)

func TestRollup(t *testing.T) {
	db, calls := newDB(t)
	type key struct{ day, provider, model, user, project, action string }
	type agg struct {
		requests, errors, limited, streamed, in, out, cached, reasoning, unpriced int64
		cost                                                                      float64
		last                                                                      time.Time
	}
	want := map[key]*agg{}
	perDay := map[string]int64{}
	for _, c := range calls {
		if !inDays(c, "2026-11-01", "2026-11-05") {
			continue
		}
		k := key{c.start.Format(time.DateOnly), c.provider, c.model, c.user, c.project, c.action}
		a := want[k]
		if a == nil {
			a = &agg{}
			want[k] = a
		}
		a.requests++
		perDay[k.day]++
		if failed(c) {
			a.errors++
		}
		if c.status == 429 {
			a.limited++
		}
		if c.stream {
			a.streamed++
		}
		a.in, a.out, a.cached, a.reasoning = a.in+c.in, a.out+c.out, a.cached+c.cached, a.reasoning+c.reasoning
		if c.costStatus == "unpriced" {
			a.unpriced++
		}
		if c.cost != nil {
			a.cost += *c.cost
		}
		if c.start.After(a.last) {
			a.last = c.start
		}
	}
	// Run twice: the second rebuild replaces the first, it does not add to it.
	for range 2 {
		res := runReport(t, db, "rollup", map[string]string{"from_day": "2026-11-01", "to_day": "2026-11-05"})
		if len(res.Rows) != len(perDay) {
			t.Fatalf("rebuilt %d days, want %d", len(res.Rows), len(perDay))
		}
		for _, row := range res.Rows {
			if row[1] != perDay[row[0].(string)] {
				t.Errorf("day %v: %v requests, want %d", row[0], row[1], perDay[row[0].(string)])
			}
		}
	}
	rows, err := db.Query(`SELECT strftime(day, '%Y-%m-%d'), provider, model, service_name, user_id, project_id, action_type,
		requests, errors, rate_limited, streamed, input_tokens, output_tokens, cache_read_input_tokens,
		reasoning_output_tokens, cost_usd, unpriced_requests, duration_s, last_seen FROM ai_usage_daily`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k key
		var service string
		var g agg
		var duration float64
		if err := rows.Scan(&k.day, &k.provider, &k.model, &service, &k.user, &k.project, &k.action,
			&g.requests, &g.errors, &g.limited, &g.streamed, &g.in, &g.out, &g.cached, &g.reasoning,
			&g.cost, &g.unpriced, &duration, &g.last); err != nil {
			t.Fatal(err)
		}
		n++
		w := want[k]
		if w == nil {
			t.Errorf("unexpected roll-up row %+v", k)
			continue
		}
		costOK := queriestest.Near(g.cost, w.cost)
		g.cost, g.last = w.cost, g.last.UTC()
		if !costOK || !reflect.DeepEqual(g, *w) || service != "voice-app" || duration != float64(w.requests) {
			t.Errorf("roll-up %+v:\n got  %+v\n want %+v", k, g, *w)
		}
	}
	if n != len(want) {
		t.Errorf("%d roll-up rows, want %d", n, len(want))
	}
}

func TestRetentionKeepsHistoryInTheRollup(t *testing.T) {
	db, calls := newDB(t)
	before := runReport(t, db, "daily", map[string]string{"from_day": "2026-09-20", "to_day": "2026-09-21"})

	// Roll up 2026-09-20 only: retention may delete that day, and must keep 2026-09-21.
	runReport(t, db, "rollup", map[string]string{"from_day": "2026-09-20", "to_day": "2026-09-20"})
	var rowsSep20 int64
	for _, c := range calls {
		if inDays(c, "2026-09-20", "2026-09-20") {
			rowsSep20++
		}
	}
	var snapshotsBefore int64
	for _, s := range snapshots() {
		if s.time.Before(time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)) {
			snapshotsBefore++
		}
	}
	// Metric points have no roll-up: those before the cutoff go, whatever their table.
	for _, p := range []struct{ table, time string }{{"ai_metric_gauge", "2026-10-05 23:59:59+00"},
		{"ai_metric_summary", "2026-09-01 00:00:00+00"}, {"ai_metric_gauge", "2026-10-06 00:00:00+00"}} {
		if _, err := db.Exec(`INSERT INTO `+p.table+` (metric_name, time, point_hash) VALUES ('m', ?::TIMESTAMPTZ, 1)`, p.time); err != nil {
			t.Fatal(err)
		}
	}
	res := runReport(t, db, "retention", map[string]string{"as_of": "2026-11-05", "days": "30"})
	want := []any{"2026-10-06", int64(1), rowsSep20, snapshotsBefore, int64(2), []any{"2026-09-21"}, []any{}}
	if len(res.Rows) != 1 || !reflect.DeepEqual(res.Rows[0], want) {
		t.Fatalf("retention = %v, want %v", res.Rows, want)
	}
	var left []string
	r, err := db.Query(`SELECT DISTINCT strftime(day, '%Y-%m-%d') FROM ai_usage_log WHERE day < DATE '2026-10-06' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var d string
		r.Scan(&d)
		left = append(left, d)
	}
	r.Close()
	if fmt.Sprint(left) != "[2026-09-21]" {
		t.Errorf("raw days left before the cutoff: %v", left)
	}

	// The deleted day still reports, from the roll-up, exactly as before.
	after := runReport(t, db, "daily", map[string]string{"from_day": "2026-09-20", "to_day": "2026-09-21"})
	if !queriestest.SameRows(before.Rows, after.Rows) {
		t.Errorf("daily after retention:\n got  %v\n want %v", after.Rows, before.Rows)
	}
	// A rebuild over a range past retention does not erase the kept history.
	runReport(t, db, "rollup", map[string]string{"from_day": "2026-09-01", "to_day": "2026-09-30"})
	after = runReport(t, db, "daily", map[string]string{"from_day": "2026-09-20", "to_day": "2026-09-21"})
	if !queriestest.SameRows(before.Rows, after.Rows) {
		t.Errorf("daily after a later rollup:\n got  %v\n want %v", after.Rows, before.Rows)
	}
	users := runReport(t, db, "users", map[string]string{"days": "2", "to_day": "2026-09-21"})
	var total int64
	for _, row := range users.Rows {
		total += row[1].(int64)
	}
	if total != 16 {
		t.Errorf("users over the retained and deleted days count %d requests, want 16", total)
	}
}
