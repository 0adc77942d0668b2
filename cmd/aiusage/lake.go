package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aiusage/aiusage/internal/duckdbfile"
	"github.com/aiusage/aiusage/internal/lake"
)

// runLake is `aiusage lake verify|compact|serve`.
func runLake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		lakeUsage(stderr)
		if len(args) == 0 {
			return errors.New("name a subcommand: verify, compact or serve")
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return verifyLake(ctx, args[1:], stdout, stderr)
	case "compact":
		return compactLake(ctx, args[1:], stdout, stderr)
	case "serve":
		return serveLake(ctx, args[1:], stdout, stderr)
	}
	lakeUsage(stderr)
	return fmt.Errorf("unknown subcommand %q (known: verify, compact, serve)", args[0])
}

func lakeUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: aiusage lake verify --lake DIR [--no-checksums]
       aiusage lake compact --lake DIR [--day YYYY-MM-DD]
       aiusage lake serve --lake DIR [--endpoint HOST:PORT] [--token T] [--refresh 1m]

verify checks every file the lake's manifest lists (present, size, rows, sha256) and
lists the data files no manifest lists; exit status 1 when anything differs.
compact merges each table's files of a day (every day without --day) into one,
keeping one row per key as readers do; the merged file is listed in a new manifest
before the files it replaces are deleted, so readers and collectors may keep working.
serve answers the report endpoint's requests (GET /reports/NAME, as a collector's) and
the web console over the lake, taking in newly listed files every --refresh.
Reports over the lake: aiusage report NAME --lake DIR (or --server on lake serve).`)
}

func verifyLake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage lake verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("lake", "", "the lake `directory`")
	noSums := fs.Bool("no-checksums", false, "skip reading every byte for its sha256 (sizes and row counts are still checked)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--lake: name the lake directory")
	}
	db, err := duckdbfile.OpenMemory(ctx, duckdbfile.Options{}) // reads and writes the Parquet files
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := lake.Verify(ctx, db, *dir, !*noSums)
	if err != nil {
		return err
	}
	checked := "checksums verified"
	if *noSums {
		checked = "checksums not read"
	}
	fmt.Fprintf(stdout, "lake %s: %d files, %d rows, %.1f MiB listed in the manifest; %s\n",
		*dir, v.Files, v.Rows, float64(v.Bytes)/(1<<20), checked)
	if len(v.Replaced) > 0 {
		fmt.Fprintf(stdout, "%d files replaced by a compaction are still there (the next compaction deletes them)\n", len(v.Replaced))
	}
	if len(v.Problems) == 0 {
		fmt.Fprintln(stdout, "ok: every file is as the manifest says, and every data file is listed")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBLEM\tFILE\tDETAIL")
	for _, p := range v.Problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Kind, p.File, p.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return fmt.Errorf("%d problems in lake %s", len(v.Problems), *dir)
}

func compactLake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage lake compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("lake", "", "the lake `directory`")
	var days dayList
	fs.Var(&days, "day", "a UTC `day` to compact, YYYY-MM-DD (repeat for more; default: every day)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--lake: name the lake directory")
	}
	db, err := duckdbfile.OpenMemory(ctx, duckdbfile.Options{}) // reads and writes the Parquet files
	if err != nil {
		return err
	}
	defer db.Close()
	done, err := lake.Compact(ctx, db, *dir, days, time.Now())
	if len(done) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DAY\tTABLE\tFILES\tROWS\tKEPT\tINTO")
		for _, c := range done {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", c.Day.Format(time.DateOnly), c.Table, c.Files, c.Rows, c.Kept, c.File)
		}
		_ = tw.Flush()
	} else if err == nil {
		fmt.Fprintln(stdout, "nothing to compact: no table of those days has more than one file")
	}
	return err
}

// dayList is a repeated --day flag.
type dayList []time.Time

func (d *dayList) String() string {
	var s []string
	for _, t := range *d {
		s = append(s, t.Format(time.DateOnly))
	}
	return strings.Join(s, ",")
}

func (d *dayList) Set(v string) error {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return fmt.Errorf("%q is not a date (want YYYY-MM-DD)", v)
	}
	*d = append(*d, t)
	return nil
}
