package queries

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/schema/schematest"
)

// expectedAnomalies computes the anomalies report from calls in Go: spend per UTC day,
// user and project; the median of the 7 days before, days without calls as 0.
func expectedAnomalies(calls []call, from, to time.Time, factor, minUSD float64) [][]any {
	type key struct{ kind, id string }
	spend := map[key]map[string]float64{}
	add := func(kind, id string, c call) {
		if id == "" {
			return
		}
		k := key{kind, id}
		if spend[k] == nil {
			spend[k] = map[string]float64{}
		}
		if c.cost != nil {
			spend[k][c.start.Format(time.DateOnly)] += *c.cost
		}
	}
	for _, c := range calls {
		add("user", c.user, c)
		add("project", c.project, c)
	}
	var out [][]any
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		for k, days := range spend {
			var prior []float64
			withSpend := int64(0)
			for d := 1; d <= 7; d++ {
				v := days[day.AddDate(0, 0, -d).Format(time.DateOnly)]
				prior = append(prior, v)
				if v > 0 {
					withSpend++
				}
			}
			sort.Float64s(prior)
			median := prior[3]
			s := days[day.Format(time.DateOnly)]
			if s < minUSD || s <= factor*median {
				continue
			}
			var ratio any
			if median != 0 {
				ratio = s / median
			}
			out = append(out, []any{day.Format(time.DateOnly), k.kind, k.id, s, median, ratio, withSpend})
		}
	}
	return out
}

func TestAnomalies(t *testing.T) {
	db, calls := newDB(t)
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ k, minUSD float64 }{{0.5, 0}, {1.1, 0}, {3, 0}, {0.5, 0.5}} {
		t.Run(fmt.Sprint(tt.k, "/", tt.minUSD), func(t *testing.T) {
			res := runReport(t, db, "anomalies", map[string]string{
				"from_day": "2026-11-01", "to_day": "2026-11-05",
				"k": strconv.FormatFloat(tt.k, 'g', -1, 64), "min_usd": strconv.FormatFloat(tt.minUSD, 'g', -1, 64),
			})
			want := expectedAnomalies(calls, from, to, tt.k, tt.minUSD)
			checkRows(t, res, 3, want)
			t.Logf("k %v, min %v USD: %d days flagged", tt.k, tt.minUSD, len(want))
		})
	}
}

// TestAnomaliesFlagsASpike: a user spending 1 USD a day for ten days, then 5.
func TestAnomaliesFlagsASpike(t *testing.T) {
	ctx := context.Background()
	db := schematest.Open(t, "") // in memory
	day0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var calls []call
	for d := range 11 {
		usd := 1.0
		if d == 10 {
			usd = 5
		}
		calls = append(calls, call{start: day0.AddDate(0, 0, d), provider: "groq", model: "m", user: "zed", project: "p",
			status: 200, cost: &usd, costStatus: "priced", in: 10, out: 10})
	}
	if err := insertCalls(ctx, db, calls); err != nil {
		t.Fatal(err)
	}
	res := runReport(t, db, "anomalies", map[string]string{"from_day": "2026-11-08", "to_day": "2026-11-11", "k": "3"})
	checkRows(t, res, 3, [][]any{
		{"2026-11-11", "project", "p", 5.0, 1.0, 5.0, int64(7)},
		{"2026-11-11", "user", "zed", 5.0, 1.0, 5.0, int64(7)},
	})
	if res := runReport(t, db, "anomalies", map[string]string{"from_day": "2026-11-08", "to_day": "2026-11-11", "k": "3", "min_usd": "10"}); len(res.Rows) != 0 {
		t.Errorf("min_usd 10: %v", res.Rows)
	}
	if res := runReport(t, db, "anomalies", map[string]string{"from_day": "2026-11-08", "to_day": "2026-11-11", "k": "6"}); len(res.Rows) != 0 {
		t.Errorf("k 6: %v", res.Rows)
	}
}
