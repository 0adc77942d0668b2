package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// runPrices is `aiusage prices [show] [--file F | --db F]` and `aiusage prices load FILE --db F`.
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
	case "help":
		pricesUsage(stderr)
		return nil
	}
	pricesUsage(stderr)
	return fmt.Errorf("unknown subcommand %q (known: show, load)", sub)
}

func pricesUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: aiusage prices [show] [--file FILE | --db FILE] [--format table|csv|json|markdown]
       aiusage prices load FILE --db FILE

show prints the price table built into aiusage, a price file (checked as it would be
loaded), or the model_prices table of a DuckDB file. load replaces model_prices in a
DuckDB file with FILE, in one transaction, after checking every row; the cost report
prices calls from that table, so a new price needs no rebuild.`)
}

func showPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "price `file` in the prices.csv format (default: the built-in table)")
	dbPath := fs.String("db", "", "show the model_prices table of this DuckDB `file`")
	format := fs.String("format", "table", "output: "+strings.Join(queries.Formats, ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains(queries.Formats, *format) {
		return fmt.Errorf("--format: %q is not one of %s", *format, strings.Join(queries.Formats, ", "))
	}
	var res *queries.Result
	switch {
	case *file != "" && *dbPath != "":
		return errors.New("give --file or --db, not both")
	case *file != "":
		t, err := pricing.Load(*file)
		if err != nil {
			return err
		}
		res = priceResult(t.Prices())
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
		if res, err = rep.Run(ctx, db, nil); err != nil {
			return err
		}
	default:
		res = priceResult(pricing.Default().Prices())
	}
	return res.Write(stdout, *format)
}

// priceResult lays a price table out as the prices report does, so a file, the built-in
// table and a database's model_prices print alike.
func priceResult(prices []pricing.Price) *queries.Result {
	rep, err := queries.Lookup("prices")
	if err != nil {
		panic(err) // an embedded file
	}
	res := &queries.Result{Report: rep.Name, Rows: [][]any{}}
	for _, c := range rep.Columns {
		res.Columns = append(res.Columns, queries.Column{Name: c.Name, Type: c.Type})
	}
	for _, p := range prices {
		var cached, to any
		if p.HasCachedInput {
			cached = p.CachedInputPerMTok
		}
		if !p.EffectiveTo.IsZero() {
			to = p.EffectiveTo.UTC().Format(time.DateOnly)
		}
		res.Rows = append(res.Rows, []any{p.Provider, p.Model, p.InputPerMTok, p.OutputPerMTok, cached, p.MinInputTokens,
			p.EffectiveFrom.UTC().Format(time.DateOnly), to, p.Source})
	}
	return res
}

func loadPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "DuckDB `file` whose model_prices to replace (not held by a running collector)")
	// The file may come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if file == "" {
		return errors.New("name the price file: aiusage prices load FILE --db FILE")
	}
	if *dbPath == "" {
		return errors.New("--db: name the DuckDB file to load the prices into")
	}
	t, err := pricing.Load(file)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := schema.ReplacePrices(ctx, db, t.Prices()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d prices from %s into %s\n", len(t.Prices()), file, *dbPath)
	return nil
}
