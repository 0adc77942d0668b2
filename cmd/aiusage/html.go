package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aiusage/aiusage/queries"
)

// runReportHTML is `aiusage report html`: one self-contained page (inline SVG and CSS,
// no script, nothing fetched) with requests, tokens and cost per day, the top users,
// quota utilization and the month's cost.
func runReportHTML(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage report html", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connFlags
	conn.register(fs)
	out := fs.String("out", "aiusage-report.html", "`file` to write; - for standard output")
	days := fs.Int("days", 30, "UTC days to chart, ending with --to")
	to := fs.String("to", "", "last UTC day charted, YYYY-MM-DD (default: today, UTC)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *days < 1 || *days > 3660 {
		return fmt.Errorf("--days: %d is not between 1 and 3660", *days)
	}
	last := time.Now().UTC()
	if *to != "" {
		t, err := time.Parse(time.DateOnly, *to)
		if err != nil {
			return fmt.Errorf("--to: %q is not a date (want YYYY-MM-DD)", *to)
		}
		last = t
	}
	lastDay := last.Format(time.DateOnly)
	firstDay := last.AddDate(0, 0, -(*days - 1)).Format(time.DateOnly)

	src, err := conn.open(ctx, true)
	if err != nil {
		return err
	}
	defer src.close()
	run := func(name string, args map[string]string) (*queries.Result, error) {
		r, err := queries.Lookup(name)
		if err != nil {
			return nil, err
		}
		return src.run(ctx, r, args)
	}
	daily, err := run("daily", map[string]string{"from_day": firstDay, "to_day": lastDay})
	if err != nil {
		return err
	}
	users, err := run("users", map[string]string{"days": strconv.Itoa(*days), "to_day": lastDay})
	if err != nil {
		return err
	}
	quotaArgs := map[string]string{}
	if *to != "" {
		quotaArgs["as_of"] = lastDay + "T23:59:59Z"
	}
	quota, err := run("quota", quotaArgs)
	if err != nil {
		return err
	}
	cost, err := run("cost", map[string]string{"as_of": lastDay})
	if err != nil {
		return err
	}
	page, err := renderPage(pageData{
		Title: fmt.Sprintf("aiusage: %s to %s", firstDay, lastDay), From: firstDay, To: lastDay,
		Generated: time.Now().UTC().Format(time.RFC3339),
		Daily:     daily, Users: users, Quota: quota, Cost: cost,
	})
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(page)
		return err
	}
	if err := os.WriteFile(*out, page, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(page))
	return nil
}

// pageData is what the page shows, as the reports returned it.
type pageData struct {
	Title, From, To, Generated string
	Daily, Users, Quota, Cost  *queries.Result
}

// cell returns a row's value in the named column; nil when the result has no such
// column (a server of another version may return other columns).
func cell(res *queries.Result, row []any, name string) any {
	for i, c := range res.Columns {
		if c.Name == name && i < len(row) {
			return row[i]
		}
	}
	return nil
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// series is one colored quantity of a bar chart.
type series struct {
	Name, Color string
	Values      []float64
}

// barChart draws stacked vertical bars, one per label.
func barChart(title, unit string, labels []string, ss []series) template.HTML {
	const w, h, left, bottom, top = 760, 240, 64, 40, 28
	var maxV float64
	for i := range labels {
		var sum float64
		for _, s := range ss {
			sum += s.Values[i]
		}
		maxV = math.Max(maxV, sum)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="16" class="t">%s</text>`, left, html.EscapeString(title))
	plotH := float64(h - bottom - top)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, h-bottom, w-8, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="l" text-anchor="end">%s</text>`, left-6, top+4, html.EscapeString(short(maxV)+unit))
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="l" text-anchor="end">0</text>`, left-6, h-bottom)
	if len(labels) > 0 && maxV > 0 {
		slot := float64(w-left-8) / float64(len(labels))
		for i, label := range labels {
			y := float64(h - bottom)
			for _, s := range ss {
				bh := s.Values[i] / maxV * plotH
				y -= bh
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
					float64(left)+float64(i)*slot+slot*0.15, y, slot*0.7, bh, s.Color,
					html.EscapeString(label), html.EscapeString(s.Name), html.EscapeString(strconv.FormatFloat(s.Values[i], 'f', -1, 64)))
			}
			if len(labels) <= 16 || i%(len(labels)/8+1) == 0 { // month-day, thinned out on long ranges
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="l" text-anchor="middle">%s</text>`, float64(left)+float64(i)*slot+slot/2, h-bottom+16, html.EscapeString(label[min(5, len(label)):]))
			}
		}
	} else {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="l">no data</text>`, w/2, h/2)
	}
	b.WriteString(`</svg><figcaption>`)
	for _, s := range ss {
		fmt.Fprintf(&b, `<span class="key" style="background:%s"></span>%s `, s.Color, html.EscapeString(s.Name))
	}
	b.WriteString(`</figcaption></figure>`)
	return template.HTML(b.String())
}

// hbar is one horizontal bar.
type hbar struct {
	Label, Text string
	Value, Max  float64
	Warn        bool
}

// hbarChart draws labelled horizontal bars scaled to each bar's Max.
func hbarChart(title string, bars []hbar) template.HTML {
	const w, row, labelW = 760, 24, 300
	h := 28 + row*max(len(bars), 1)
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="16" class="t">%s</text>`, html.EscapeString(title))
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="0" y="44" class="l">no data</text>`)
	}
	for i, bar := range bars {
		y := 28 + i*row
		frac := 0.0
		if bar.Max > 0 {
			frac = math.Min(bar.Value/bar.Max, 1)
		}
		color := "#3b82f6"
		if bar.Warn {
			color = "#dc2626"
		}
		fmt.Fprintf(&b, `<text x="0" y="%d" class="l">%s</text>`, y+15, html.EscapeString(bar.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="16" class="track"/>`, labelW, y+3, w-labelW-130)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="%s"/>`, labelW, y+3, frac*float64(w-labelW-130), color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="l">%s</text>`, w-122, y+15, html.EscapeString(bar.Text))
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String())
}

// short writes a number compactly: 1.2k, 3.4M.
func short(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', 1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func renderPage(d pageData) ([]byte, error) {
	// Per day: the daily report has a row per day, provider and model.
	days := map[string]*[5]float64{} // requests, errors, input, output, cost
	for _, row := range d.Daily.Rows {
		day, _ := cell(d.Daily, row, "day").(string)
		v := days[day]
		if v == nil {
			v = &[5]float64{}
			days[day] = v
		}
		v[0] += num(cell(d.Daily, row, "requests")) - num(cell(d.Daily, row, "errors"))
		v[1] += num(cell(d.Daily, row, "errors"))
		v[2] += num(cell(d.Daily, row, "input_tokens"))
		v[3] += num(cell(d.Daily, row, "output_tokens"))
		v[4] += num(cell(d.Daily, row, "cost_usd"))
	}
	var labels []string
	from, _ := time.Parse(time.DateOnly, d.From)
	to, _ := time.Parse(time.DateOnly, d.To)
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		labels = append(labels, t.Format(time.DateOnly))
	}
	pick := func(i int) []float64 {
		out := make([]float64, len(labels))
		for j, l := range labels {
			if v := days[l]; v != nil {
				out[j] = v[i]
			}
		}
		return out
	}
	charts := []template.HTML{
		barChart("Requests per day", "", labels, []series{{"succeeded", "#3b82f6", pick(0)}, {"failed", "#dc2626", pick(1)}}),
		barChart("Tokens per day", "", labels, []series{{"input", "#0ea5e9", pick(2)}, {"output", "#f59e0b", pick(3)}}),
		barChart("Cost per day (USD, priced calls)", "$", labels, []series{{"cost", "#16a34a", pick(4)}}),
	}

	var userBars []hbar
	var maxTokens float64
	for _, row := range d.Users.Rows {
		maxTokens = math.Max(maxTokens, num(cell(d.Users, row, "total_tokens")))
	}
	for _, row := range d.Users.Rows {
		name, _ := cell(d.Users, row, "user_id").(string)
		if name == "" {
			name = "(no user.id)"
		}
		tokens, cost := num(cell(d.Users, row, "total_tokens")), cell(d.Users, row, "cost_usd")
		text := short(tokens) + " tok"
		if cost != nil {
			text += fmt.Sprintf(" $%.4f", num(cost))
		}
		userBars = append(userBars, hbar{Label: name, Text: text, Value: tokens, Max: maxTokens})
	}
	// The users report ranks by cost; this chart ranks by tokens.
	sort.SliceStable(userBars, func(i, j int) bool { return userBars[i].Value > userBars[j].Value })
	userBars = userBars[:min(len(userBars), 10)]
	charts = append(charts, hbarChart("Top users by tokens", userBars))

	var quotaBars []hbar
	for _, row := range d.Quota.Rows {
		get := func(c string) any { return cell(d.Quota, row, c) }
		label := fmt.Sprintf("%v %v %v/%v", get("provider"), get("model"), get("resource"), get("window"))
		util := num(get("utilization"))
		warn, _ := get("warning").(bool)
		quotaBars = append(quotaBars, hbar{Label: label, Text: fmt.Sprintf("%.0f%% (%s)", util*100, get("source")), Value: util, Max: 1, Warn: warn})
	}
	sort.SliceStable(quotaBars, func(i, j int) bool { return quotaBars[i].Value > quotaBars[j].Value })
	charts = append(charts, hbarChart("Quota utilization (latest)", quotaBars))

	var costTable bytes.Buffer
	if err := d.Cost.Write(&costTable, "table"); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err := pageTemplate.Execute(&out, struct {
		pageData
		Charts    []template.HTML
		CostTable string
	}{d, charts, costTable.String()})
	return out.Bytes(), err
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:2rem auto;max-width:800px;color:#111}
h1{font-size:1.4rem} figure{margin:1.5rem 0} svg{width:100%;height:auto}
.t{font-weight:600;font-size:14px} .l{font-size:11px;fill:#444} .axis{stroke:#999}
.track{fill:#eee} .key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
pre{font-size:11px;overflow-x:auto;background:#f6f6f6;padding:.5rem}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Generated {{.Generated}} by <code>aiusage report html</code>. Days are UTC.</p>
{{range .Charts}}{{.}}
{{end}}<h2>Cost this month (priced on the day of use)</h2>
<pre>{{.CostTable}}</pre>
</body></html>
`))
