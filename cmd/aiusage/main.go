// Command aiusage is the analyst's and operator's tool for aiusage: it runs the
// report queries, manages the price table, emulates the providers and runs the demo.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"report", "run a report against a DuckDB file, a collector's report endpoint or the Parquet lake", runReport},
	{"prices", "show, load, import or compare price tables", runPrices},
	{"lake", "check the Parquet lake against its manifest, or merge a day's files", runLake},
	{"budgets", "list, set, delete or load spending budgets", runBudgets},
	{"emulate", "serve Groq- and Gemini-compatible endpoints on loopback", runEmulate},
	{"demo", "drive voice-command-like traffic through the instrumented SDKs", runDemo},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case errors.Is(err, flag.ErrHelp): // -h printed the command's usage
				return 0
			case err != nil:
				fmt.Fprintf(stderr, "aiusage %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "aiusage: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// parseFlags parses a command's flags and refuses positional arguments. After -h
// it returns flag.ErrHelp, which run takes for success.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: aiusage <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'aiusage <command> -h' for a command's flags.")
}
