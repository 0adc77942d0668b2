// Package pricetables reads the public price tables other GenAI tools keep, pydantic's
// genai-prices (its v2 data.json) and LiteLLM's model_prices_and_context_window.json
// (both MIT licensed), as aiusage price rows for the providers aiusage records, and
// compares price tables unit by unit. Nothing is fetched: the user downloads the file,
// this package reads it.
package pricetables

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/pricing"
)

// Format is a public price table's format.
type Format string

// The formats Import reads.
const (
	GenAIPrices Format = "genai-prices" // pydantic/genai-prices prices/data.json (v2)
	LiteLLM     Format = "litellm"      // BerriAI/litellm model_prices_and_context_window.json
)

// Formats lists the formats Import reads.
var Formats = []Format{GenAIPrices, LiteLLM}

// Options say how imported rows are dated and attributed.
type Options struct {
	// Since is the first day the imported prices apply to; the public tables carry no
	// dates beyond genai-prices' start_date constraints, which take precedence.
	Since time.Time
	// Checked is the day the rows are recorded as checked: the day the file was read.
	Checked time.Time
	// Source names the file in each row's source, e.g. "genai-prices 47df840".
	Source string
}

// Imported is a public table read as aiusage price rows.
type Imported struct {
	Format Format
	// Prices are the rows, for the providers aiusage records.
	Prices []pricing.Price
	// Names are the model names the table spells out (exact names and canonical ids)
	// per provider: what a comparison looks each table up by.
	Names map[string][]string
	// Skipped says what of the table has no aiusage row, by reason, with an example.
	Skipped []Skip
}

// Skip is one kind of price the import left out.
type Skip struct {
	Reason  string // e.g. "output_cost_per_image: priced per image, not a unit aiusage records"
	Count   int
	Example string // a model it applies to
}

// Table returns the imported rows as a price table, validated as a price file is.
func (im *Imported) Table() (*pricing.Table, error) {
	var buf bytes.Buffer
	if err := pricing.WriteCSV(&buf, im.Prices); err != nil {
		return nil, err
	}
	t, err := pricing.Parse(&buf)
	if err != nil {
		return nil, fmt.Errorf("%s rows: %w", im.Format, err)
	}
	return t, nil
}

// Detect tells the format of a public table from its first bytes: genai-prices' data
// is a JSON array of providers, LiteLLM's an object of models.
func Detect(data []byte) (Format, error) {
	switch t := bytes.TrimLeft(data, " \t\r\n\ufeff"); {
	case len(t) > 0 && t[0] == '[':
		return GenAIPrices, nil
	case len(t) > 0 && t[0] == '{':
		return LiteLLM, nil
	}
	return "", errors.New("neither a genai-prices data.json (a JSON array) nor a LiteLLM model_prices_and_context_window.json (a JSON object)")
}

// Import reads data in format as aiusage price rows.
func Import(format Format, data []byte, opt Options) (*Imported, error) {
	if opt.Since.IsZero() {
		opt.Since = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opt.Source == "" {
		opt.Source = string(format)
	}
	var im *Imported
	var err error
	switch format {
	case GenAIPrices:
		im, err = importGenAIPrices(data, opt)
	case LiteLLM:
		im, err = importLiteLLM(data, opt)
	default:
		return nil, fmt.Errorf("unknown format %q (known: %s, %s)", format, GenAIPrices, LiteLLM)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	im.Format = format
	sort.Slice(im.Skipped, func(i, j int) bool {
		if im.Skipped[i].Count != im.Skipped[j].Count {
			return im.Skipped[i].Count > im.Skipped[j].Count
		}
		return im.Skipped[i].Reason < im.Skipped[j].Reason
	})
	for p, names := range im.Names {
		sort.Strings(names)
		im.Names[p] = compact(names)
	}
	return im, nil
}

// skips gathers Skip entries by reason.
type skips map[string]*Skip

func (s skips) add(reason, model string) {
	if k := s[reason]; k != nil {
		k.Count++
		return
	}
	s[reason] = &Skip{Reason: reason, Count: 1, Example: model}
}

func (s skips) list() []Skip {
	out := make([]Skip, 0, len(s))
	for _, k := range s {
		out = append(out, *k)
	}
	return out
}

// roundUSD drops the float noise of a unit conversion (3e-07 x 1e6 is 0.30000000000000004).
func roundUSD(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// decodeStrict decodes JSON, reporting where it went wrong.
func decodeStrict(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return fmt.Errorf("line %d: %w", line, err)
		}
		return err
	}
	return nil
}
