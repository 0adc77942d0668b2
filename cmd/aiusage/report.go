package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aiusage/aiusage/internal/lake"
	"github.com/aiusage/aiusage/queries"
)

// flagAliases are short spellings of report parameters.
var flagAliases = map[string]string{"from": "from_day", "to": "to_day", "user": "user_id"}

// tokenEnv holds the report endpoint's bearer token, so it need not be on the command line.
const tokenEnv = "AIUSAGE_TOKEN"

// runReport is `aiusage report NAME|list|html [flags]`.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		reportUsage(stderr)
		if len(args) == 0 {
			return errors.New("name a report")
		}
		return nil
	}
	switch args[0] {
	case "list":
		return listReports(stdout)
	case "html":
		return runReportHTML(ctx, args[1:], stdout, stderr)
	}
	if strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("name the report before its flags: aiusage report NAME [flags] (reports: %s)", strings.Join(queries.Names(), ", "))
	}
	rep, err := queries.Lookup(args[0])
	if err != nil {
		return err
	}

	fs := flag.NewFlagSet("aiusage report "+rep.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connFlags
	conn.register(fs)
	format := fs.String("format", "table", "output: "+strings.Join(queries.Formats, ", "))
	values := map[string]*string{}
	for _, p := range rep.Params {
		values[p.Name] = fs.String(flagName(p.Name), "", fmt.Sprintf("%s: %s", declared(p), p.Doc))
	}
	for alias, param := range flagAliases {
		if v, ok := values[param]; ok {
			fs.StringVar(v, alias, "", "same as --"+flagName(param))
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: aiusage report %s (--db FILE | --server URL | --lake DIR) [flags]\n\n%s\n%s\n\nflags:\n", rep.Name, rep.Title, rep.Question)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: parameters are flags (--%s)", fs.Arg(0), strings.Join(paramFlags(rep), ", --"))
	}
	if !slices.Contains(queries.Formats, *format) {
		return fmt.Errorf("--format: %q is not one of %s", *format, strings.Join(queries.Formats, ", "))
	}
	params := map[string]string{}
	for name, v := range values {
		if *v != "" {
			params[name] = *v
		}
	}
	// Check the parameters before opening anything, so a typo fails fast and clearly.
	if _, err := rep.Bind(params); err != nil {
		return flagError(err)
	}
	src, err := conn.open(ctx, rep.ReadOnly())
	if err != nil {
		return err
	}
	defer src.close()
	res, err := src.run(ctx, rep, params)
	if err != nil {
		return flagError(err)
	}
	return res.Write(stdout, *format)
}

// flagError rewords a parameter error in the flags' spelling.
func flagError(err error) error {
	var perr *queries.ParamError
	if errors.As(err, &perr) {
		return fmt.Errorf("--%s: %s", flagName(perr.Param), perr.Detail())
	}
	return err
}

// declared is a parameter's type as its header declares it, range or JSON shape included.
func declared(p queries.Param) string {
	switch {
	case p.Range != nil:
		return p.Type + " " + p.Range.String()
	case p.Shape != "":
		return "JSON " + p.Shape
	}
	return p.Type
}

func flagName(param string) string { return strings.ReplaceAll(param, "_", "-") }

func paramFlags(r *queries.Report) []string {
	var out []string
	for _, p := range r.Params {
		out = append(out, flagName(p.Name))
	}
	return out
}

// connFlags are the flags that say where reports run.
type connFlags struct {
	db, server, token, lake string
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", "", "DuckDB `file` the exporter writes (opened read-only for reports; it must not be held by a running collector)")
	fs.StringVar(&c.server, "server", "", "`URL` of the exporter's report endpoint, e.g. http://127.0.0.1:8765")
	fs.StringVar(&c.token, "token", "", "bearer `token` for --server (default $"+tokenEnv+")")
	fs.StringVar(&c.lake, "lake", "", "Parquet lake `directory` the collectors' archive writes (the sealed days of every collector)")
}

func (c *connFlags) open(ctx context.Context, readOnly bool) (source, error) {
	given := 0
	for _, v := range []string{c.db, c.server, c.lake} {
		if v != "" {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, errors.New("give one of --db, --server and --lake")
	case c.lake != "":
		l, err := lake.Open(ctx, c.lake, lake.Options{})
		if err != nil {
			return nil, err
		}
		return lakeSource{l}, nil
	case c.db != "":
		db, err := openDB(ctx, c.db, readOnly)
		if err != nil {
			return nil, err
		}
		return fileSource{db}, nil
	case c.server != "":
		token := c.token
		if token == "" {
			token = os.Getenv(tokenEnv)
		}
		return serverSource{&queries.Client{BaseURL: c.server, Token: token}}, nil
	}
	return nil, errors.New("say where the data is: --db FILE (a DuckDB file no process holds), --server URL (the collector's report endpoint) or --lake DIR (the collectors' Parquet archive)")
}

func listReports(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPORT\tFLAGS\tWHAT")
	for _, r := range queries.All() {
		flags := "--" + strings.Join(paramFlags(r), " --")
		if len(r.Params) == 0 {
			flags = ""
		}
		what := r.Title
		if !r.ReadOnly() {
			what += " (writes; --db only)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, flags, what)
	}
	fmt.Fprintln(tw, "html\t--out --days --to\tone self-contained HTML page with charts of usage, cost, top users and quotas")
	return tw.Flush()
}

func reportUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: aiusage report NAME (--db FILE | --server URL [--token T] | --lake DIR) [--format table|csv|json|markdown] [--PARAM VALUE ...]
       aiusage report list
       aiusage report html (--db FILE | --server URL | --lake DIR) [--out FILE] [--days N]

Run 'aiusage report NAME -h' for a report's parameters.`)
	fmt.Fprintln(w)
	listReports(w) //nolint:errcheck // usage text
}
