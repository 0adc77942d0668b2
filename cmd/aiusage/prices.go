package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// runPrices is `aiusage prices [show|load|import|diff]`.
func runPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "show":
		return showPrices(ctx, args, stdout, stderr)
	case "load":
		return loadPrices(ctx, args, stdout, stderr)
	case "import":
		return importPrices(args, stdout, stderr)
	case "diff":
		return diffPrices(ctx, args, stdout, stderr)
	case "help":
		pricesUsage(stderr)
		return nil
	}
	pricesUsage(stderr)
	return fmt.Errorf("unknown subcommand %q (known: show, load, import, diff)", sub)
}

func pricesUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: aiusage prices [show] [--file FILE | --db FILE] [--stale 90d] [--format table|csv|json|markdown]
       aiusage prices load FILE --db FILE
       aiusage prices import --from genai-prices|litellm FILE [--since DAY] [--checked DAY] [--out FILE]
       aiusage prices diff FILE [--from genai-prices|litellm] [--file FILE | --db FILE] [--on DAY] [--all] [--format ...]

show prints the price table built into aiusage, a price file (checked as it would be
loaded), or the model_prices table of a DuckDB file, one row per billed unit; --stale
lists only the rows not checked against their source for that long (or never). Its csv
format is a price file: a file in the older layout comes out in the current one.
load replaces model_prices in a DuckDB file with FILE, in one transaction, after
checking every row; the reports price calls from that table on their day of use, so a
corrected table reprices past days (the cost recorded on each call stays as it was).
import reads a public price table, pydantic's genai-prices (prices/data.json) or
LiteLLM's model_prices_and_context_window.json, that you downloaded, and writes its
Groq, Gemini and Vertex AI prices as a price file; nothing is downloaded.
diff compares a public price table with ours (the built-in one, --file or --db) unit by
unit on a day, and says which disagreements aiusage made on purpose and why.`)
}

func showPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "price `file` (default: the built-in table)")
	dbPath := fs.String("db", "", "show the model_prices table of this DuckDB `file`")
	stale := fs.String("stale", "", "only rows not checked for this long, or never (`age` in days, e.g. 90d)")
	asOf := fs.String("as-of", "", "the `day` --stale counts back from (default: today, UTC)")
	format := fs.String("format", "table", "output: "+strings.Join(queries.Formats, ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains(queries.Formats, *format) {
		return fmt.Errorf("--format: %q is not one of %s", *format, strings.Join(queries.Formats, ", "))
	}
	var checkedBefore time.Time
	if *stale != "" {
		days, err := parseDays(*stale)
		if err != nil {
			return fmt.Errorf("--stale: %w", err)
		}
		day, err := parseDay(*asOf, today())
		if err != nil {
			return fmt.Errorf("--as-of: %w", err)
		}
		checkedBefore = day.AddDate(0, 0, -days)
	} else if *asOf != "" {
		return errors.New("--as-of: only with --stale")
	}
	var res *queries.Result
	switch {
	case *file != "" && *dbPath != "":
		return errors.New("give --file or --db, not both")
	case *dbPath != "":
		db, err := openDB(ctx, *dbPath, true)
		if err != nil {
			return err
		}
		defer db.Close()
		rep, err := queries.Lookup("prices")
		if err != nil {
			return err
		}
		params := map[string]string{}
		if !checkedBefore.IsZero() {
			params["checked_before"] = checkedBefore.Format(time.DateOnly)
		}
		if res, err = rep.Run(ctx, db, params); err != nil {
			return err
		}
	default:
		t := pricing.Default()
		if *file != "" {
			var err error
			if t, err = pricing.Load(*file); err != nil {
				return err
			}
			printNotes(stderr, *file, t)
		}
		res = priceResult(staleOnly(t.Prices(), checkedBefore))
	}
	return res.Write(stdout, *format)
}

// staleOnly keeps the rows checked before day, or never; all of them for a zero day.
func staleOnly(prices []pricing.Price, day time.Time) []pricing.Price {
	if day.IsZero() {
		return prices
	}
	var out []pricing.Price
	for _, p := range prices {
		if p.Checked.IsZero() || p.Checked.Before(day) {
			out = append(out, p)
		}
	}
	return out
}

func printNotes(w io.Writer, name string, t *pricing.Table) {
	for _, n := range t.Notes() {
		fmt.Fprintf(w, "note: %s: %s\n", name, n)
	}
}

// priceResult lays a price table out as the prices report does, so a file, the built-in
// table and a database's model_prices print alike; as csv it is a price file.
func priceResult(prices []pricing.Price) *queries.Result {
	rep, err := queries.Lookup("prices")
	if err != nil {
		panic(err) // an embedded file
	}
	res := &queries.Result{Report: rep.Name, Rows: [][]any{}}
	for _, c := range rep.Columns {
		res.Columns = append(res.Columns, queries.Column{Name: c.Name, Type: c.Type})
	}
	day := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.DateOnly)
	}
	for _, p := range prices {
		var minBilled any
		if p.MinBilled > 0 {
			minBilled = p.MinBilled
		}
		res.Rows = append(res.Rows, []any{p.Provider, p.Model, p.Tier, p.MinInputTokens, p.Unit.String(), p.USD, p.Per,
			minBilled, day(p.EffectiveFrom), day(p.EffectiveTo), day(p.Checked), p.Source})
	}
	return res
}

func loadPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "DuckDB `file` whose model_prices to replace (not held by a running collector)")
	file, err := fileArg(fs, args, "aiusage prices load FILE --db FILE")
	if err != nil {
		return err
	}
	if *dbPath == "" {
		return errors.New("--db: name the DuckDB file to load the prices into")
	}
	t, err := pricing.Load(file)
	if err != nil {
		return err
	}
	printNotes(stderr, file, t)
	db, err := openDB(ctx, *dbPath, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := schema.ReplacePrices(ctx, db, t.Prices(), schema.Origin{Kind: schema.OriginFile, Name: file}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d prices from %s into %s\n", len(t.Prices()), file, *dbPath)
	return nil
}

// fileArg parses flags with one FILE argument anywhere among them.
func fileArg(fs *flag.FlagSet, args []string, use string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	switch len(files) {
	case 0:
		return "", errors.New("name the file: " + use)
	case 1:
		return files[0], nil
	}
	return "", fmt.Errorf("unexpected argument %q", files[1])
}

// parseDays reads an age in days: "90d" or "90".
func parseDays(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || n < 0 || n > 36500 {
		return 0, fmt.Errorf("%q is not a number of days (such as 90d)", s)
	}
	return n, nil
}

// parseDay reads a YYYY-MM-DD day; empty is def.
func parseDay(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return t, nil
}

func today() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

func readInput(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}
