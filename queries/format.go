package queries

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats are the output formats of [Result.Write].
var Formats = []string{"table", "csv", "json", "markdown"}

// Write renders res to w as table (aligned text), csv, json or markdown.
func (res *Result) Write(w io.Writer, format string) error {
	switch format {
	case "table":
		return res.writeTable(w)
	case "csv":
		return res.writeCSV(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "markdown":
		return res.writeMarkdown(w)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// Text renders one cell as the text and CSV formats show it; NULL is empty.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Text(e)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// display is Text for people: money and ratios rounded, NULL spelled out.
func display(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64: // USD and ratios: a millionth is the last digit that matters
		return strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
	}
	return Text(v)
}

func (res *Result) names() []string {
	n := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		n[i] = c.Name
	}
	return n
}

func (res *Result) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.names()); err != nil {
		return err
	}
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			rec[i] = Text(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (res *Result) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.names(), "\t"))
	for _, row := range res.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = strings.ReplaceAll(display(v), "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if len(res.Rows) == 0 {
		fmt.Fprintln(tw, "(no rows)")
	}
	return tw.Flush()
}

func (res *Result) writeMarkdown(w io.Writer) error {
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	var b strings.Builder
	b.WriteString("|")
	for _, n := range res.names() {
		b.WriteString(" " + esc.Replace(n) + " |")
	}
	b.WriteString("\n|")
	for range res.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range res.Rows {
		b.WriteString("|")
		for _, v := range row {
			b.WriteString(" " + esc.Replace(display(v)) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
