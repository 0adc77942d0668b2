package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aiusage/aiusage/internal/budget"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// runBudgets is `aiusage budgets list|set|delete|load`.
func runBudgets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		budgetsUsage(stderr)
		if len(args) == 0 {
			return errors.New("name a subcommand (list, set, delete, load)")
		}
		return nil
	}
	switch args[0] {
	case "list":
		return listBudgets(ctx, args[1:], stdout, stderr)
	case "set":
		return setBudget(ctx, args[1:], stdout, stderr)
	case "delete":
		return deleteBudget(ctx, args[1:], stdout, stderr)
	case "load":
		return loadBudgets(ctx, args[1:], stdout, stderr)
	}
	budgetsUsage(stderr)
	return fmt.Errorf("unknown subcommand %q (known: list, set, delete, load)", args[0])
}

func budgetsUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: aiusage budgets list (--db FILE | --server URL | --file FILE) [--as-of T] [--format F]
       aiusage budgets set NAME --scope S [--value V] --period day|month [--time-zone Z] --amount USD
                           [--thresholds 50%,80%,100%] [--provider-cap] (--db FILE | --file FILE)
       aiusage budgets delete NAME (--db FILE | --file FILE)
       aiusage budgets load FILE --db FILE

A budget caps the cost recorded at the calls of one scope (all, provider, model, user,
project or action) per day or calendar month in a time zone (IANA; default UTC), and
reports crossing its thresholds (fractions or percentages of the amount; default 50%,
80%, 100%). list shows each budget's spend to date, projection and status (the budgets
report) from a DuckDB file or a collector, or the budgets of a file. set and delete
change the budgets table of a DuckDB file no process holds, or a budgets file (YAML),
which a running collector reads when its duckdb exporter sets budgets.file. load
replaces the table with a file's budgets. A provider's own spend cap (a Gemini project
spend cap) is a budget with --provider-cap.`)
}

// budgetTarget is where set and delete write: a DuckDB file or a budgets file.
type budgetTarget struct{ db, file string }

func (t *budgetTarget) register(fs *flag.FlagSet) {
	fs.StringVar(&t.db, "db", "", "DuckDB `file` whose budgets table to change (not held by a running collector)")
	fs.StringVar(&t.file, "file", "", "budgets `file` (YAML) to change, as the exporter's budgets.file reads it; created if missing")
}

func (t *budgetTarget) check() error {
	switch {
	case t.db != "" && t.file != "":
		return errors.New("give --db or --file, not both")
	case t.db == "" && t.file == "":
		return errors.New("say where the budgets are: --db FILE (a DuckDB file no process holds) or --file FILE (a budgets file)")
	}
	return nil
}

// parseNamed parses a subcommand whose first argument is a name, before or after the flags.
func parseNamed(fs *flag.FlagSet, args []string, what string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	switch {
	case name == "" && fs.NArg() > 0:
		name = fs.Arg(0)
		if fs.NArg() > 1 {
			return "", fmt.Errorf("unexpected argument %q", fs.Arg(1))
		}
	case fs.NArg() > 0:
		return "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if name == "" {
		return "", fmt.Errorf("name the %s", what)
	}
	return name, nil
}

func setBudget(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage budgets set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var target budgetTarget
	target.register(fs)
	var b budget.Budget
	fs.StringVar(&b.Scope, "scope", "", "what the budget covers: "+strings.Join(budget.Scopes, ", "))
	fs.StringVar(&b.Value, "value", "", "the provider, model, user, project or action (none for --scope all)")
	fs.StringVar(&b.Period, "period", "", "day or month, beginning at midnight in --time-zone")
	fs.StringVar(&b.TimeZone, "time-zone", "UTC", "IANA time `zone` of the period, e.g. Europe/Paris")
	fs.Float64Var(&b.AmountUSD, "amount", 0, "budget per period in `USD`")
	thresholds := fs.String("thresholds", "", "comma-separated fractions or percentages of the amount (default 50%,80%,100%)")
	fs.BoolVar(&b.ProviderCap, "provider-cap", false, "a cap the provider enforces (a Gemini project spend cap)")
	name, err := parseNamed(fs, args, "budget: aiusage budgets set NAME --scope S ...")
	if err != nil {
		return err
	}
	b.Name = name
	if b.Thresholds, err = budget.ParseThresholds(*thresholds); err != nil {
		return flagFieldError(err)
	}
	b.Normalize()
	if err := b.Validate(); err != nil {
		return flagFieldError(err)
	}
	if err := target.check(); err != nil {
		return err
	}
	if target.file != "" {
		err = editBudgetsFile(target.file, func(bs []budget.Budget) ([]budget.Budget, error) {
			if i := slices.IndexFunc(bs, func(o budget.Budget) bool { return o.Name == b.Name }); i >= 0 {
				bs[i] = b
				return bs, nil
			}
			return append(bs, b), nil
		})
	} else {
		err = withDB(ctx, target.db, func(db *sql.DB) error { return budget.Put(ctx, db, b) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "budget %s: %s %s, %g USD per %s (%s), thresholds %s\n", b.Name, b.Scope, b.Value, b.AmountUSD, b.Period, b.TimeZone, percentages(b.Thresholds))
	return nil
}

func deleteBudget(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage budgets delete", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var target budgetTarget
	target.register(fs)
	name, err := parseNamed(fs, args, "budget: aiusage budgets delete NAME")
	if err != nil {
		return err
	}
	if err := target.check(); err != nil {
		return err
	}
	found := false
	if target.file != "" {
		err = editBudgetsFile(target.file, func(bs []budget.Budget) ([]budget.Budget, error) {
			n := len(bs)
			bs = slices.DeleteFunc(bs, func(o budget.Budget) bool { return o.Name == name })
			found = len(bs) < n
			return bs, nil
		})
	} else {
		err = withDB(ctx, target.db, func(db *sql.DB) (err error) {
			found, err = budget.Delete(ctx, db, name)
			return err
		})
	}
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no budget %q", name)
	}
	fmt.Fprintf(stdout, "deleted budget %s\n", name)
	return nil
}

func loadBudgets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage budgets load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "DuckDB `file` whose budgets to replace (not held by a running collector)")
	file, err := parseNamed(fs, args, "budgets file: aiusage budgets load FILE --db FILE")
	if err != nil {
		return err
	}
	if *dbPath == "" {
		return errors.New("--db: name the DuckDB file to load the budgets into")
	}
	bs, err := budget.ReadFile(file)
	if err != nil {
		return err
	}
	if err := withDB(ctx, *dbPath, func(db *sql.DB) error { return budget.Replace(ctx, db, bs) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d budgets from %s into %s\n", len(bs), file, *dbPath)
	return nil
}

func listBudgets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage budgets list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connFlags
	conn.register(fs)
	file := fs.String("file", "", "list the budgets of this budgets `file` instead")
	asOf := fs.String("as-of", "", "evaluate at this time (RFC 3339; default now)")
	format := fs.String("format", "table", "output: "+strings.Join(queries.Formats, ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains(queries.Formats, *format) {
		return fmt.Errorf("--format: %q is not one of %s", *format, strings.Join(queries.Formats, ", "))
	}
	if *file != "" {
		if conn.db != "" || conn.server != "" {
			return errors.New("give --file, or --db or --server, not several")
		}
		bs, err := budget.ReadFile(*file)
		if err != nil {
			return err
		}
		return budgetsResult(bs).Write(stdout, *format)
	}
	rep, err := queries.Lookup("budgets")
	if err != nil {
		return err
	}
	params := map[string]string{}
	if *asOf != "" {
		params["as_of"] = *asOf
	}
	if _, err := rep.Bind(params); err != nil {
		return flagError(err)
	}
	src, err := conn.open(ctx, true)
	if err != nil {
		return err
	}
	defer src.close()
	res, err := src.run(ctx, rep, params)
	if err != nil {
		return err
	}
	return res.Write(stdout, *format)
}

// budgetsSchema is the first schema version with the budgets table.
const budgetsSchema = 4

// withDB runs fn on the DuckDB file at path opened for writing, once it holds the
// budgets table.
func withDB(ctx context.Context, path string, fn func(*sql.DB) error) error {
	db, err := openDB(ctx, path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := schema.Version(ctx, db)
	if err != nil {
		return fmt.Errorf("open duckdb %q: %w", path, err)
	}
	if v < budgetsSchema {
		return fmt.Errorf("%q holds schema version %d, from before budgets (version %d): start the collector on it once to migrate it", path, v, budgetsSchema)
	}
	return fn(db)
}

// budgetsResult lays out a file's budgets as a table.
func budgetsResult(bs []budget.Budget) *queries.Result {
	res := &queries.Result{Report: "budgets", Rows: [][]any{}}
	for _, c := range []string{"budget", "scope", "scope_value", "period", "time_zone", "amount_usd", "thresholds", "provider_cap"} {
		res.Columns = append(res.Columns, queries.Column{Name: c})
	}
	for _, b := range bs {
		res.Rows = append(res.Rows, []any{b.Name, b.Scope, b.Value, b.Period, b.TimeZone, b.AmountUSD, percentages(b.Thresholds), b.ProviderCap})
	}
	return res
}

func percentages(ts []float64) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%g%%", t*100)
	}
	return strings.Join(parts, ",")
}

// editBudgetsFile applies edit to the budgets of path (none when it does not exist) and
// writes the result back atomically, validated.
func editBudgetsFile(path string, edit func([]budget.Budget) ([]budget.Budget, error)) error {
	var bs []budget.Budget
	if _, err := os.Stat(path); err == nil {
		if bs, err = budget.ReadFile(path); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("budgets file: %w", err)
	}
	bs, err := edit(bs)
	if err != nil {
		return err
	}
	data, err := budget.Marshal(bs)
	if err != nil {
		return fmt.Errorf("budgets file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".budgets-*.yaml")
	if err != nil {
		return fmt.Errorf("budgets file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("budgets file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("budgets file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("budgets file %s: %w", path, err)
	}
	return nil
}

// flagFieldError names the flag of each bad budget field: --amount, not amount_usd.
func flagFieldError(err error) error {
	flags := map[string]string{"name": "NAME", "scope": "--scope", "value": "--value", "period": "--period",
		"time_zone": "--time-zone", "amount_usd": "--amount", "thresholds": "--thresholds"}
	var lines []string
	for _, e := range unjoin(err) {
		var fe *budget.FieldError
		if !errors.As(e, &fe) {
			lines = append(lines, e.Error())
			continue
		}
		field, _, _ := strings.Cut(fe.Field, "[") // thresholds[i]: i counts the sorted list, not what was typed
		name := flags[field]
		if name == "" {
			name = fe.Field
		}
		lines = append(lines, name+": "+fe.Reason)
	}
	return errors.New(strings.Join(lines, "\n"))
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
