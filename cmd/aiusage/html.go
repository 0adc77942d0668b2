package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// runReportHTML is `aiusage report html`: the console's page as one self-contained file
// (its stylesheet and scripts inlined, the answers of the reports it reads written into
// it, nothing fetched) for a range of days ending with --to.
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
	vars := console.Vars{To: time.Now().UTC().Format(time.DateOnly), Days: *days}
	if *to != "" {
		t, err := time.Parse(time.DateOnly, *to)
		if err != nil {
			return fmt.Errorf("--to: %q is not a date (want YYYY-MM-DD)", *to)
		}
		// Quotas as they stood at the end of that day.
		vars.To, vars.AsOf = t.Format(time.DateOnly), t.Format(time.DateOnly)+"T23:59:59Z"
	}
	plan, err := console.LoadPlan()
	if err != nil {
		return err
	}
	src, err := conn.open(ctx, true)
	if err != nil {
		return err
	}
	defer src.close()
	list, err := offered(ctx, src)
	if err != nil {
		return err
	}
	calls, err := plan.Resolve(list, vars, nil)
	if err != nil {
		return err
	}
	results := map[string]*queries.Result{}
	for _, c := range calls {
		i := slices.IndexFunc(list, func(r *queries.Report) bool { return r.Name == c.Report })
		res, err := src.run(ctx, list[i], c.Params)
		if err != nil {
			return err
		}
		results[c.ID] = res
	}
	var page bytes.Buffer
	if err := console.WriteStatic(&page, console.StaticReport{
		Title:     fmt.Sprintf("aiusage: %s to %s", vars.From(), vars.To),
		Generated: time.Now(), Vars: vars, Reports: list, Results: results, Calls: calls,
	}); err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(page.Bytes())
		return err
	}
	if err := os.WriteFile(*out, page.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, page.Len())
	return nil
}

// offered is the reports a source serves: the endpoint's list, or every read-only
// report for a file.
func offered(ctx context.Context, src source) ([]*queries.Report, error) {
	if s, ok := src.(serverSource); ok {
		return s.c.Reports(ctx)
	}
	var list []*queries.Report
	for _, r := range queries.All() {
		if r.ReadOnly() {
			list = append(list, r)
		}
	}
	return list, nil
}
