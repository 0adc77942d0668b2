package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/internal/pricetables"
	"github.com/aiusage/aiusage/internal/schema"
	"github.com/aiusage/aiusage/queries"
)

// importPrices is `aiusage prices import --from FORMAT FILE`: a public price table as a
// price file, on stdout or --out.
func importPrices(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the table's `format`: "+formatNames())
	since := fs.String("since", "2024-01-01", "the first `day` the imported prices apply to (the tables carry no dates but genai-prices' start dates)")
	checked := fs.String("checked", "", "the `day` recorded as checked (default: today, UTC)")
	source := fs.String("source", "", "the `text` rows name as their source (default: the format and file name)")
	out := fs.String("out", "", "write the price file here (default: standard output)")
	file, err := fileArg(fs, args, "aiusage prices import --from genai-prices|litellm FILE")
	if err != nil {
		return err
	}
	format := pricetables.Format(*from)
	if !slices.Contains(pricetables.Formats, format) {
		return fmt.Errorf("--from: %q is not one of %s", *from, formatNames())
	}
	opt, err := importOptions(format, file, *since, *checked, *source)
	if err != nil {
		return err
	}
	data, err := readInput(file)
	if err != nil {
		return err
	}
	im, err := pricetables.Import(format, data, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if _, err := im.Table(); err != nil { // what load would refuse is refused here
		return fmt.Errorf("%s: %w", file, err)
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("create %s: %w", *out, err)
		}
		defer f.Close()
		w = f
	}
	if err := pricing.WriteCSV(w, im.Prices); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "imported %d prices from %s (%s)\n", len(im.Prices), file, format)
	for _, s := range im.Skipped {
		fmt.Fprintf(stderr, "  left out: %s (%d models, such as %s)\n", s.Reason, s.Count, s.Example)
	}
	return nil
}

func importOptions(format pricetables.Format, file, since, checked, source string) (pricetables.Options, error) {
	s, err := parseDay(since, time.Time{})
	if err != nil {
		return pricetables.Options{}, fmt.Errorf("--since: %w", err)
	}
	c, err := parseDay(checked, today())
	if err != nil {
		return pricetables.Options{}, fmt.Errorf("--checked: %w", err)
	}
	if source == "" {
		source = string(format) + " " + baseName(file)
	}
	return pricetables.Options{Since: s, Checked: c, Source: source}, nil
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

func formatNames() string {
	names := make([]string, len(pricetables.Formats))
	for i, f := range pricetables.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// diffColumns are the columns of `aiusage prices diff`.
var diffColumns = []queries.Column{
	{Name: "provider", Type: "VARCHAR"},
	{Name: "model", Type: "VARCHAR"},
	{Name: "service_tier", Type: "VARCHAR"},
	{Name: "min_input_tokens", Type: "BIGINT"},
	{Name: "unit", Type: "VARCHAR"},
	{Name: "per", Type: "DOUBLE"},
	{Name: "ours_usd", Type: "DOUBLE"},
	{Name: "theirs_usd", Type: "DOUBLE"},
	{Name: "kind", Type: "VARCHAR"},
	{Name: "chosen", Type: "VARCHAR"},
}

// diffPrices is `aiusage prices diff FILE`: where a public table disagrees with ours.
func diffPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage prices diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the public table's `format`: "+formatNames()+" (default: told from the file)")
	file := fs.String("file", "", "our price `file` (default: the built-in table)")
	dbPath := fs.String("db", "", "compare with the model_prices table of this DuckDB `file`")
	on := fs.String("on", "", "compare the prices in force on this `day` (default: today, UTC)")
	all := fs.Bool("all", false, "also list what only our table prices (tiers, units, models the other lacks)")
	format := fs.String("format", "table", "output: "+strings.Join(queries.Formats, ", "))
	theirsFile, err := fileArg(fs, args, "aiusage prices diff FILE")
	if err != nil {
		return err
	}
	if !slices.Contains(queries.Formats, *format) {
		return fmt.Errorf("--format: %q is not one of %s", *format, strings.Join(queries.Formats, ", "))
	}
	day, err := parseDay(*on, today())
	if err != nil {
		return fmt.Errorf("--on: %w", err)
	}
	data, err := readInput(theirsFile)
	if err != nil {
		return err
	}
	f := pricetables.Format(*from)
	if f == "" {
		if f, err = pricetables.Detect(data); err != nil {
			return fmt.Errorf("%s: %w", theirsFile, err)
		}
	} else if !slices.Contains(pricetables.Formats, f) {
		return fmt.Errorf("--from: %q is not one of %s", *from, formatNames())
	}
	opt, err := importOptions(f, theirsFile, "2024-01-01", "", "")
	if err != nil {
		return err
	}
	im, err := pricetables.Import(f, data, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", theirsFile, err)
	}
	theirs, err := im.Table()
	if err != nil {
		return fmt.Errorf("%s: %w", theirsFile, err)
	}
	ours, err := ourTable(ctx, *file, *dbPath, stderr)
	if err != nil {
		return err
	}
	diffs := pricetables.Compare(ours, theirs, im.Names, day)
	pricetables.MarkChosen(diffs, f)
	res := &queries.Result{Report: "prices diff", Columns: diffColumns, Rows: [][]any{}}
	var shown, chosen int
	for _, d := range diffs {
		if d.Kind == pricetables.OnlyOurs && !*all {
			continue
		}
		shown++
		var c any
		if d.Chosen != "" {
			c = d.Chosen
			chosen++
		}
		var tokens any
		if d.Unit != "*" {
			tokens = d.MinInputTokens
		}
		res.Rows = append(res.Rows, []any{d.Provider, d.Model, d.Tier, tokens, d.Unit, per(d.Per), nullable(d.Ours), nullable(d.Theirs), d.Kind, c})
	}
	if err := res.Write(stdout, *format); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d disagreements with %s (%s) on %s: %d chosen on purpose (docs/PRICES.md), %d not\n",
		shown, theirsFile, f, day.Format(time.DateOnly), chosen, shown-chosen)
	return nil
}

// nullable is v, or NULL for NaN (no rate) and a 0 quantity (a row for a whole model).
func nullable(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

func per(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

// ourTable is the table diff compares with: a file, a database's model_prices, or the built-in one.
func ourTable(ctx context.Context, file, dbPath string, stderr io.Writer) (*pricing.Table, error) {
	switch {
	case file != "" && dbPath != "":
		return nil, errors.New("give --file or --db, not both")
	case file != "":
		t, err := pricing.Load(file)
		if err == nil {
			printNotes(stderr, file, t)
		}
		return t, err
	case dbPath != "":
		db, err := openDB(ctx, dbPath, true)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		return schema.LoadPrices(ctx, db)
	}
	return pricing.Default(), nil
}
