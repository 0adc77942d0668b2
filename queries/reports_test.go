package queries

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the Pacific day, independently of the machine's zone files

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/usage"
	"github.com/aiusage/aiusage/queries/queriestest"
)

// The expected values below are computed from the data set in Go, call by call, never
// taken from a query's output.

// keyed indexes a result's rows by their first n columns.
func keyed(t *testing.T, res *Result, n int) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	for _, row := range res.Rows {
		k := fmt.Sprint(row[:n]...)
		if _, dup := out[k]; dup {
			t.Fatalf("%s: key %s appears twice", res.Report, k)
		}
		out[k] = row
	}
	return out
}

// checkRows compares a result with expected rows keyed by their first n columns.
func checkRows(t *testing.T, res *Result, n int, want [][]any) {
	t.Helper()
	got := keyed(t, res, n)
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", res.Report, len(got), len(want))
	}
	for _, w := range want {
		k := fmt.Sprint(w[:n]...)
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: no row %s", res.Report, k)
			continue
		}
		if !queriestest.SameRows([][]any{g}, [][]any{w}) {
			t.Errorf("%s row %s:\n got  %v\n want %v", res.Report, k, g, w)
		}
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func failed(c call) bool { return c.errType != "" || c.status >= 400 }

// costSum is a sum of recorded costs: nil when every call was unpriced; a failed call
// with no usage costs nothing.
type costSum struct {
	usd         float64
	notUnpriced bool
}

func (s *costSum) add(c call) {
	if c.cost != nil {
		s.usd += *c.cost
	}
	if c.costStatus != "unpriced" {
		s.notUnpriced = true
	}
}

func (s costSum) value() any {
	if !s.notUnpriced {
		return nil
	}
	return s.usd
}

func inDays(c call, from, to string) bool {
	d := c.start.Format(time.DateOnly)
	return d >= from && d <= to
}

func TestDaily(t *testing.T) {
	db, calls := newDB(t)
	type agg struct {
		day, provider, model                                                      string
		requests, errors, limited, streamed, in, out, cached, reasoning, unpriced int64
		cost                                                                      costSum
	}
	aggs := map[string]*agg{}
	for _, c := range calls {
		if !inDays(c, "2026-11-02", "2026-11-04") {
			continue
		}
		k := c.start.Format(time.DateOnly) + c.provider + c.model
		a := aggs[k]
		if a == nil {
			a = &agg{day: c.start.Format(time.DateOnly), provider: c.provider, model: c.model}
			aggs[k] = a
		}
		a.requests++
		if failed(c) {
			a.errors++
		}
		if c.status == 429 {
			a.limited++
		}
		if c.stream {
			a.streamed++
		}
		a.in += c.in
		a.out += c.out
		a.cached += c.cached
		a.reasoning += c.reasoning
		if c.costStatus == "unpriced" {
			a.unpriced++
		}
		a.cost.add(c)
	}
	var want [][]any
	for _, a := range aggs {
		want = append(want, []any{a.day, a.provider, a.model, a.requests, a.errors, a.limited, a.streamed,
			a.in, a.out, a.cached, a.reasoning, a.cost.value(), a.unpriced})
	}
	res := runReport(t, db, "daily", map[string]string{"from_day": "2026-11-02", "to_day": "2026-11-04"})
	checkRows(t, res, 3, want)
	sort.Slice(want, func(i, j int) bool { return fmt.Sprint(want[i][:3]...) < fmt.Sprint(want[j][:3]...) })
	for i := range res.Rows {
		if fmt.Sprint(res.Rows[i][:3]...) != fmt.Sprint(want[i][:3]...) {
			t.Fatalf("row %d is %v, want ordered by day, provider, model", i, res.Rows[i][:3])
		}
	}
}

type usageAgg struct {
	requests, errors, in, out, unpriced int64
	cost                                costSum
	split                               [4]float64 // input, cached input, output, other: the cost by unit
	last                                time.Time
	users                               map[string]bool
}

// splitOf is a call's cost by unit group, as the reports split it, from the test table.
func splitOf(c call) [4]float64 {
	if c.status != 200 {
		return [4]float64{} // no usage: not billed
	}
	u := usage.Usage{InputTokens: c.in, OutputTokens: c.out, CacheReadInputTokens: c.cached, ReasoningOutputTokens: c.reasoning}
	b := testPricesOnce().Bill(c.provider, c.model, "", &u, c.start)
	uu := b.UnitUSD
	return [4]float64{
		uu[pricing.InputTokens] + uu[pricing.AudioInputTokens] + uu[pricing.ImageInputTokens] + uu[pricing.VideoInputTokens] + uu[pricing.DocumentInputTokens],
		uu[pricing.CacheReadInputTokens] + uu[pricing.AudioCacheReadInputTokens] + uu[pricing.ImageCacheReadInputTokens] + uu[pricing.VideoCacheReadInputTokens] + uu[pricing.DocumentCacheReadInputTokens],
		uu[pricing.OutputTokens] + uu[pricing.ReasoningOutputTokens] + uu[pricing.AudioOutputTokens] + uu[pricing.ImageOutputTokens] + uu[pricing.VideoOutputTokens],
		uu[pricing.AudioBilledSeconds] + uu[pricing.InputCharacters] + uu[pricing.WebSearchQueries] + uu[pricing.WebSearchRequests] + uu[pricing.Requests],
	}
}

// splitColumns are the cost-by-unit and cost-by-tier columns of the users and projects
// reports; every call of the data set is standard.
func (a *usageAgg) splitColumns() []any {
	if a.cost.value() == nil {
		return []any{nil, nil, nil, nil, nil, nil, nil, nil, nil}
	}
	return []any{a.split[0], a.split[1], a.split[2], a.split[3], a.cost.value(), nil, nil, nil, nil}
}

func (a *usageAgg) add(c call) {
	a.requests++
	if failed(c) {
		a.errors++
	}
	a.in += c.in
	a.out += c.out
	if c.costStatus == "unpriced" {
		a.unpriced++
	}
	a.cost.add(c)
	for i, v := range splitOf(c) {
		a.split[i] += v
	}
	if c.start.After(a.last) {
		a.last = c.start
	}
	if a.users == nil {
		a.users = map[string]bool{}
	}
	a.users[c.user] = true
}

func TestUsers(t *testing.T) {
	db, calls := newDB(t)
	aggs := map[string]*usageAgg{}
	for _, c := range calls {
		if inDays(c, "2026-11-03", "2026-11-05") { // days=3 ending 2026-11-05
			if aggs[c.user] == nil {
				aggs[c.user] = &usageAgg{}
			}
			aggs[c.user].add(c)
		}
	}
	row := func(u string) []any {
		a := aggs[u]
		return append(append([]any{u, a.requests, a.errors, a.in, a.out, a.in + a.out, float64(a.in+a.out) / float64(a.requests),
			a.cost.value()}, a.splitColumns()...), a.unpriced, ts(a.last))
	}
	var want [][]any
	for u := range aggs {
		want = append(want, row(u))
	}
	res := runReport(t, db, "users", map[string]string{"days": "3", "to_day": "2026-11-05"})
	checkRows(t, res, 1, want)
	for i := 1; i < len(res.Rows); i++ {
		if res.Rows[i][7] != nil && res.Rows[i-1][7] != nil && res.Rows[i][7].(float64) > res.Rows[i-1][7].(float64) {
			t.Errorf("users not ordered by cost: %v before %v", res.Rows[i-1], res.Rows[i])
		}
	}

	for _, u := range []string{"bo", ""} {
		res = runReport(t, db, "users", map[string]string{"days": "3", "to_day": "2026-11-05", "user_id": u})
		if u == "" { // empty means "not given": every user
			if len(res.Rows) != len(aggs) {
				t.Errorf("user_id='' gave %d rows, want all %d", len(res.Rows), len(aggs))
			}
			continue
		}
		checkRows(t, res, 1, [][]any{row(u)})
	}
}

func TestProjects(t *testing.T) {
	db, calls := newDB(t)
	aggs := map[[2]string]*usageAgg{}
	for _, c := range calls {
		if inDays(c, "2026-11-01", "2026-11-05") {
			k := [2]string{c.project, c.action}
			if aggs[k] == nil {
				aggs[k] = &usageAgg{}
			}
			aggs[k].add(c)
		}
	}
	var want [][]any
	for k, a := range aggs {
		want = append(want, append(append([]any{k[0], k[1], a.requests, a.errors, int64(len(a.users)), a.in, a.out, a.cost.value()},
			a.splitColumns()...), a.unpriced))
	}
	checkRows(t, runReport(t, db, "projects", dataArgs["projects"]), 2, want)
}

func TestCost(t *testing.T) {
	db, calls := newDB(t)
	pt := testPrices(t)
	type agg struct {
		requests, unpriced, in, cached, out int64
		inUSD, cachedUSD, outUSD, otherUSD  float64
	}
	aggs := map[[5]any]*agg{}
	var sawTier, sawGlob, sawChange, sawCached bool
	for _, c := range calls {
		if !inDays(c, "2026-11-01", "2026-11-05") {
			continue
		}
		u := usage.Usage{InputTokens: c.in, OutputTokens: c.out, CacheReadInputTokens: c.cached, ReasoningOutputTokens: c.reasoning}
		bill := pt.Bill(c.provider, c.model, "", &u, c.start)
		if p, ok := pt.Rate(c.provider, c.model, "", pricing.InputTokens, c.in, c.start); ok {
			sawTier = sawTier || p.MinInputTokens > 0
			sawGlob = sawGlob || strings.Contains(p.Model, "*")
			sawChange = sawChange || p.USD == 0.40
		}
		if _, ok := pt.Rate(c.provider, c.model, "", pricing.CacheReadInputTokens, c.in, c.start); ok && c.cached > 0 {
			sawCached = true
		}
		var pricedTier any
		if bill.Tier != "" {
			pricedTier = bill.Tier
		}
		k := [5]any{c.provider, c.model, "standard", pricedTier, bill.Status}
		a := aggs[k]
		if a == nil {
			a = &agg{}
			aggs[k] = a
		}
		a.requests++
		if bill.Status == "unpriced" && c.status == 200 {
			a.unpriced++
		}
		a.in += c.in
		a.cached += c.cached
		a.out += c.out
		a.inUSD += bill.UnitUSD[pricing.InputTokens]
		a.cachedUSD += bill.UnitUSD[pricing.CacheReadInputTokens]
		a.outUSD += bill.UnitUSD[pricing.OutputTokens] + bill.UnitUSD[pricing.ReasoningOutputTokens]
		for _, unit := range []pricing.Unit{pricing.AudioBilledSeconds, pricing.InputCharacters, pricing.WebSearchQueries, pricing.WebSearchRequests, pricing.Requests} {
			a.otherUSD += bill.UnitUSD[unit]
		}
	}
	if !sawTier || !sawGlob || !sawChange || !sawCached {
		t.Fatalf("data set misses a pricing case: tier %v glob %v change %v cached %v", sawTier, sawGlob, sawChange, sawCached)
	}
	const daysElapsed, daysInMonth = 5, 30
	var want [][]any
	for k, a := range aggs {
		if k[4] == "unpriced" {
			want = append(want, []any{k[0], k[1], k[2], k[3], k[4], a.requests, a.unpriced, a.in, a.cached, a.out, nil, nil, nil, nil, nil, nil, nil})
			continue
		}
		total := a.inUSD + a.cachedUSD + a.outUSD + a.otherUSD
		want = append(want, []any{k[0], k[1], k[2], k[3], k[4], a.requests, a.unpriced, a.in, a.cached, a.out, a.inUSD, a.cachedUSD, a.outUSD, a.otherUSD,
			total, total / daysElapsed * daysInMonth, nil})
	}
	res := runReport(t, db, "cost", dataArgs["cost"])
	checkRows(t, res, 5, want)

	// On 2026-11-02 gemini-2.5-flash still had its old price: only the first two days.
	res = runReport(t, db, "cost", map[string]string{"as_of": "2026-11-02"})
	var flash float64
	for _, c := range calls {
		if c.model == "gemini-2.5-flash" && inDays(c, "2026-11-01", "2026-11-02") {
			flash += (float64(c.in)*0.30 + float64(c.out)*2.50) / 1e6
		}
	}
	row := keyed(t, res, 5)[fmt.Sprint("gcp.gemini", "gemini-2.5-flash", "standard", "standard", "priced")]
	if row == nil || !queriestest.Near(row[14].(float64), flash) || !queriestest.Near(row[15].(float64), flash/2*30) {
		t.Errorf("gemini-2.5-flash on 2026-11-02: %v, want cost %v", row, flash)
	}
}

func TestQuota(t *testing.T) {
	db, calls := newDB(t)
	type status struct {
		source           string
		limit, remaining float64
		reset            any
		updated          time.Time
	}
	latest := map[[4]string]status{}
	callReset := map[[4]string]string{}
	since := asOf.Add(-7 * 24 * time.Hour)
	observe := func(k [4]string, s status) {
		if old, ok := latest[k]; !ok || s.updated.After(old.updated) || s.updated.Equal(old.updated) && old.reset == nil {
			latest[k] = s
		}
	}
	for _, c := range calls {
		if c.reqLimit == 0 || !c.start.After(asOf.Add(-24*time.Hour)) || c.start.After(asOf) { // headers of the last day
			continue
		}
		reqReset := ts(c.start.Add(time.Duration(c.reqReset * float64(time.Second))))
		tokReset := ts(c.start.Add(time.Duration(c.tokReset * float64(time.Second))))
		kr := [4]string{c.provider, c.model, "requests", "1d"}
		kt := [4]string{c.provider, c.model, "tokens", "1m"}
		if old, ok := latest[kr]; !ok || c.start.After(old.updated) {
			callReset[kr], callReset[kt] = reqReset, tokReset
		}
		observe(kr, status{"header", float64(c.reqLimit), float64(c.reqRemaining), reqReset, c.start})
		observe(kt, status{"header", float64(c.tokLimit), float64(c.tokRem), tokReset, c.start})
	}
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snapshots() {
		if s.time.Before(since) || s.time.After(asOf) {
			continue
		}
		k := [4]string{s.provider, s.model, s.resource, s.window}
		var reset any
		if r, ok := callReset[k]; ok {
			reset = r
		} else if s.window == "1m" {
			reset = ts(s.time.Truncate(time.Minute).Add(time.Minute))
		} else {
			p := s.time.In(pacific)
			reset = ts(time.Date(p.Year(), p.Month(), p.Day()+1, 0, 0, 0, 0, pacific))
		}
		observe(k, status{s.source, s.limit, s.remaining, reset, s.time})
	}
	// No call in the two hours before asOf, the rate's look-back: no quota has a rate,
	// so each is unknown unless used up in a window that has not reset (TestQuotaForecast
	// covers the rest).
	for _, c := range calls {
		if c.start.After(asOf.Add(-2*time.Hour)) && !c.start.After(asOf) {
			t.Fatalf("call at %s: the data set should be idle in the two hours before %s", c.start, asOf)
		}
	}
	var want [][]any
	warnings := 0
	for k, s := range latest {
		util := (s.limit - s.remaining) / s.limit
		if util >= 0.9 {
			warnings++
		}
		forecast, exhausts := "unknown", any(nil)
		if r, _ := s.reset.(string); s.remaining <= 0 && (r == "" || r > ts(asOf)) {
			forecast, exhausts = "exhausted", ts(s.updated)
		}
		want = append(want, []any{k[0], k[1], k[2], k[3], s.source, s.limit, s.remaining, util, util >= 0.9, s.reset, ts(s.updated),
			nil, forecast, exhausts})
	}
	if warnings == 0 || warnings == len(want) {
		t.Fatalf("data set should have some quotas past the threshold and some not: %d of %d", warnings, len(want))
	}
	checkRows(t, runReport(t, db, "quota", dataArgs["quota"]), 4, want)

	// The threshold is a parameter.
	res := runReport(t, db, "quota", map[string]string{"as_of": "2026-11-05T18:00:00Z", "threshold": "0.0001"})
	for _, row := range res.Rows {
		if row[8] != (row[7].(float64) >= 0.0001) {
			t.Errorf("threshold 0.0001: warning %v at utilization %v", row[8], row[7])
		}
	}
}

func TestRateLimited(t *testing.T) {
	db, calls := newDB(t)
	type agg struct {
		n           int64
		first, last time.Time
		retry       float64
	}
	aggs := map[[4]string]*agg{}
	for _, c := range calls {
		if c.status != 429 || !c.start.After(asOf.Add(-24*time.Hour)) || c.start.After(asOf) {
			continue
		}
		k := [4]string{c.provider, c.model, c.quotaID, c.errType}
		a := aggs[k]
		if a == nil {
			a = &agg{first: c.start}
			aggs[k] = a
		}
		a.n++
		a.last = c.start
		a.retry = math.Max(a.retry, c.retryAfter)
	}
	var want [][]any
	quotaIDs := 0
	for k, a := range aggs {
		if k[2] != "" {
			quotaIDs++
		}
		want = append(want, []any{k[0], k[1], k[2], k[3], a.n, ts(a.first), ts(a.last), a.retry})
	}
	if quotaIDs == 0 || len(want) < 2 {
		t.Fatalf("data set should have 429s with and without quota ids in the last day: %v", want)
	}
	checkRows(t, runReport(t, db, "rate_limited", dataArgs["rate_limited"]), 4, want)
}

func TestRates(t *testing.T) {
	db, calls := newDB(t)
	at := time.Date(2026, 11, 5, 8, 10, 0, 0, time.UTC)
	const limits = `[{"provider":"gcp.gemini","rpm":2,"rpd":250,"tpm":250000},
	                 {"provider":"gcp.gemini","model":"gemini-2.5-flash","rpm":1,"rpd":20}]`
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	p := at.In(pacific)
	pacificDay := time.Date(p.Year(), p.Month(), p.Day(), 0, 0, 0, 0, pacific)
	type agg struct {
		rpm, rpd, tpm int64
		minutes       map[int64][2]int64
	}
	aggs := map[[2]string]*agg{}
	for _, c := range calls {
		if c.start.After(at) || !c.start.After(at.Add(-24*time.Hour)) {
			continue
		}
		k := [2]string{c.provider, c.model}
		a := aggs[k]
		if a == nil {
			a = &agg{minutes: map[int64][2]int64{}}
			aggs[k] = a
		}
		tokens := c.in + c.out
		if c.start.After(at.Add(-time.Minute)) {
			a.rpm++
			a.tpm += tokens
		}
		dayStart := at.Add(-24 * time.Hour)
		if c.provider == "gcp.gemini" {
			dayStart = pacificDay
		}
		if !c.start.Before(dayStart) {
			a.rpd++
		}
		m := a.minutes[c.start.Unix()/60]
		a.minutes[c.start.Unix()/60] = [2]int64{m[0] + 1, m[1] + tokens}
	}
	var want [][]any
	for k, a := range aggs {
		var peakR, peakT int64
		for _, m := range a.minutes {
			peakR, peakT = max(peakR, m[0]), max(peakT, m[1])
		}
		dayStart := ts(at.Add(-24 * time.Hour))
		var rpmL, rpdL, tpmL any
		util := func(v int64, l any) any {
			if l == nil {
				return nil
			}
			return float64(v) / float64(l.(int64))
		}
		if k[0] == "gcp.gemini" {
			dayStart = ts(pacificDay)
			rpmL, rpdL, tpmL = int64(2), int64(250), int64(250000)
			if k[1] == "gemini-2.5-flash" {
				rpmL, rpdL, tpmL = int64(1), int64(20), nil
			}
		}
		want = append(want, []any{k[0], k[1], a.rpm, peakR, rpmL, util(peakR, rpmL), a.rpd, rpdL, util(a.rpd, rpdL),
			dayStart, a.tpm, peakT, tpmL, util(peakT, tpmL)})
	}
	if pacificDay.Equal(at.Truncate(24 * time.Hour)) {
		t.Fatal("the test time should put the Pacific day apart from the UTC day")
	}
	checkRows(t, runReport(t, db, "rates", map[string]string{"as_of": at.Format(time.RFC3339), "limits": limits}), 2, want)
}

func TestPrices(t *testing.T) {
	db, _ := newDB(t)
	on := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var want [][]any
	for _, p := range testPrices(t).Prices() {
		if p.EffectiveFrom.After(on) || !p.EffectiveTo.IsZero() && !p.EffectiveTo.After(on) {
			continue
		}
		var to any
		if !p.EffectiveTo.IsZero() {
			to = p.EffectiveTo.Format(time.DateOnly)
		}
		want = append(want, []any{p.Provider, p.Model, p.Tier, p.MinInputTokens, p.Unit.String(), p.USD, p.Per, nil,
			p.EffectiveFrom.Format(time.DateOnly), to, nil, p.Source})
	}
	checkRows(t, runReport(t, db, "prices", dataArgs["prices"]), 6, want)
	if all := runReport(t, db, "prices", nil); len(all.Rows) != len(testPrices(t).Prices()) {
		t.Errorf("every row: got %d, want %d", len(all.Rows), len(testPrices(t).Prices()))
	}
}
