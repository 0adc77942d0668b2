// Package queries holds the aiusage report queries: plain SQL files that any DuckDB
// 1.5 client can run, embedded here with the header each opens with, and the ways to
// run them: against a *sql.DB ([Report.Run]), over HTTP ([Handler]) and as the client
// of that endpoint ([Client]).
//
// Each file starts with a comment that is both the analyst's documentation and the
// report's declaration:
//
//	-- Daily usage: requests, tokens and errors per UTC day, provider and model.
//	--
//	-- Question: how much did we use each model, day by day, over a date range?
//	--
//	-- Parameters (SET VARIABLE name = value; before running; unset = default):
//	--   from_day  DATE  first UTC day (default: 6 days before to_day)
//	--   to_day    DATE  last UTC day, inclusive (default: today, UTC)
//	--
//	-- Columns:
//	--   day       DATE    UTC day
//	--   requests  BIGINT  calls
//
// A file whose header has a "Writes:" line changes the database (retention, roll-up);
// the HTTP handler does not serve it.
package queries

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed *.sql
var files embed.FS

// Report is one SQL file and what its header declares.
type Report struct {
	// Name is the file name without .sql: what `aiusage report NAME` takes.
	Name string `json:"name"`
	// Title is the first line of the header.
	Title string `json:"title"`
	// Question is what the report answers.
	Question string `json:"question"`
	// Params are the DuckDB variables the query reads, in header order.
	Params []Param `json:"params"`
	// Columns are the result columns, in order.
	Columns []Column `json:"columns"`
	// Writes names the tables the report changes; empty for a read-only report.
	Writes []string `json:"writes,omitempty"`
	// SQL is the whole file.
	SQL string `json:"-"`
}

// Param is one parameter: a DuckDB variable the query reads with getvariable.
type Param struct {
	Name string `json:"name"`
	// Type is the DuckDB type the value is cast to: DATE, TIMESTAMPTZ, INTEGER, DOUBLE or VARCHAR.
	Type string `json:"type"`
	// Range bounds an INTEGER parameter.
	Range *Range `json:"range,omitempty"`
	// Shape is the JSON a VARCHAR parameter must hold, in from_json notation; "" for plain text.
	Shape string `json:"shape,omitempty"`
	// Doc describes the parameter and its default.
	Doc string `json:"doc"`
}

// Column is one result column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc,omitempty"`
}

// ReadOnly reports whether running r leaves the database unchanged.
func (r *Report) ReadOnly() bool { return len(r.Writes) == 0 }

// Param returns the parameter called name.
func (r *Report) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// All returns every embedded report, sorted by name.
func All() []*Report {
	rs, err := loadAll()
	if err != nil {
		// The files are part of the build and their headers are checked by the tests.
		panic(err)
	}
	return rs
}

// Names returns the names of every embedded report, sorted.
func Names() []string {
	var ns []string
	for _, r := range All() {
		ns = append(ns, r.Name)
	}
	return ns
}

// Lookup returns the report called name; the error lists the known ones.
func Lookup(name string) (*Report, error) {
	for _, r := range All() {
		if r.Name == name {
			return r, nil
		}
	}
	return nil, &UnknownReportError{Name: name}
}

// UnknownReportError is returned for a report name no file has.
type UnknownReportError struct{ Name string }

func (e *UnknownReportError) Error() string {
	return fmt.Sprintf("unknown report %s (known: %s)", Quote(e.Name), strings.Join(Names(), ", "))
}

var loadAll = sync.OnceValues(func() ([]*Report, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []*Report
	for _, n := range names {
		body, err := files.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		r, err := Parse(strings.TrimSuffix(n, ".sql"), string(body))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
})

var (
	identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// entry is a parameter or column line: name, type, description.
	entry = regexp.MustCompile(`^(\S+)\s+(\S+)\s*(.*)$`)
	// constraint is a parameter's range or JSON shape, between its type and description.
	rangeDecl = regexp.MustCompile(`^(-?[0-9]+)\.\.(-?[0-9]+)(?:\s+|$)`)
	shapeDecl = regexp.MustCompile(`^([\[{]\S*)(?:\s+|$)`)
	// paramTypes are the types a parameter may have; each has a validator in params.go.
	paramTypes = map[string]bool{"DATE": true, "TIMESTAMPTZ": true, "INTEGER": true, "DOUBLE": true, "VARCHAR": true}
)

// Parse reads a report file: its leading comment block is the header.
func Parse(name, sqlText string) (*Report, error) {
	if !identifier.MatchString(name) {
		return nil, fmt.Errorf("report %q: name must be a lower-case identifier", name)
	}
	r := &Report{Name: name, SQL: sqlText}
	section := ""
	var question []string
	for i, line := range strings.Split(sqlText, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if !strings.HasPrefix(line, "--") {
			break
		}
		text := strings.TrimPrefix(strings.TrimPrefix(line, "--"), " ")
		lineErr := func(format string, a ...any) error {
			return fmt.Errorf("report %s line %d: %s", name, i+1, fmt.Sprintf(format, a...))
		}
		switch {
		case i == 0:
			r.Title = strings.TrimSpace(text)
		case strings.TrimSpace(text) == "":
			section = ""
		case strings.HasPrefix(text, "Question:"):
			section = "question"
			question = append(question, strings.TrimSpace(strings.TrimPrefix(text, "Question:")))
		case strings.HasPrefix(text, "Writes:"):
			for _, t := range strings.Split(strings.TrimPrefix(text, "Writes:"), ",") {
				r.Writes = append(r.Writes, strings.TrimSpace(t))
			}
		case strings.HasPrefix(text, "Parameters"):
			section = "params"
		case strings.HasPrefix(text, "Columns"):
			section = "columns"
		case section == "question":
			question = append(question, strings.TrimSpace(text))
		case section == "params" || section == "columns":
			if !strings.HasPrefix(text, "  ") {
				section = ""
				continue
			}
			if strings.HasPrefix(text, "   ") { // deeper: the description goes on
				if err := r.continueDoc(section, strings.TrimSpace(text)); err != nil {
					return nil, lineErr("%v", err)
				}
				continue
			}
			m := entry.FindStringSubmatch(strings.TrimSpace(text))
			if m == nil {
				return nil, lineErr("want `name TYPE description`, got %q", text)
			}
			if section == "columns" {
				r.Columns = append(r.Columns, Column{Name: m[1], Type: m[2], Doc: m[3]})
				continue
			}
			if !identifier.MatchString(m[1]) {
				return nil, lineErr("parameter %q is not a lower-case identifier", m[1])
			}
			if !paramTypes[m[2]] {
				return nil, lineErr("parameter %s: type %q is not one of DATE, TIMESTAMPTZ, INTEGER, DOUBLE, VARCHAR", m[1], m[2])
			}
			if m[1] == FormatArg {
				return nil, lineErr("parameter may not be called %s: the HTTP endpoint takes the output format under that name", FormatArg)
			}
			if _, dup := r.Param(m[1]); dup {
				return nil, lineErr("parameter %s declared twice", m[1])
			}
			p, err := parseConstraint(Param{Name: m[1], Type: m[2], Doc: m[3]}, r.SQL)
			if err != nil {
				return nil, lineErr("parameter %s: %v", m[1], err)
			}
			r.Params = append(r.Params, p)
		}
	}
	r.Question = strings.Join(question, " ")
	switch {
	case r.Title == "":
		return nil, fmt.Errorf("report %s: the file must open with a comment line naming what it reports", name)
	case r.Question == "":
		return nil, fmt.Errorf("report %s: header has no Question:", name)
	case len(r.Columns) == 0:
		return nil, fmt.Errorf("report %s: header lists no Columns", name)
	}
	for _, p := range r.Params {
		if !strings.Contains(r.SQL, "getvariable('"+p.Name+"')") {
			return nil, fmt.Errorf("report %s: parameter %s is declared but the query never reads getvariable('%s')", name, p.Name, p.Name)
		}
	}
	return r, nil
}

// continueDoc appends text to the description of the section's last entry.
func (r *Report) continueDoc(section, text string) error {
	doc := (*string)(nil)
	switch {
	case section == "params" && len(r.Params) > 0:
		doc = &r.Params[len(r.Params)-1].Doc
	case section == "columns" && len(r.Columns) > 0:
		doc = &r.Columns[len(r.Columns)-1].Doc
	default:
		return fmt.Errorf("indented line %q continues no entry", text)
	}
	*doc = strings.TrimSpace(*doc + " " + text)
	return nil
}

// parseConstraint moves the range or JSON shape at the start of p.Doc into p. Every
// INTEGER has a range, so that no value overflows the query's arithmetic; a shape must
// be the one the query passes to from_json.
func parseConstraint(p Param, sqlText string) (Param, error) {
	switch {
	case p.Type == "INTEGER":
		m := rangeDecl.FindStringSubmatch(p.Doc)
		if m == nil {
			return p, errors.New("an INTEGER declares its range after the type, e.g. `days  INTEGER  1..366  days to cover`")
		}
		lo, err1 := strconv.ParseInt(m[1], 10, 32)
		hi, err2 := strconv.ParseInt(m[2], 10, 32)
		if err1 != nil || err2 != nil || lo > hi {
			return p, fmt.Errorf("range %s..%s is not min..max within INTEGER", m[1], m[2])
		}
		p.Range = &Range{Min: lo, Max: hi}
		p.Doc = p.Doc[len(m[0]):]
	case p.Type == "VARCHAR" && shapeDecl.MatchString(p.Doc):
		m := shapeDecl.FindStringSubmatch(p.Doc)
		if _, err := parseShape(m[1]); err != nil {
			return p, err
		}
		if !strings.Contains(sqlText, "'"+m[1]+"'") {
			return p, fmt.Errorf("JSON shape %s is not the one the query passes to from_json", m[1])
		}
		p.Shape = m[1]
		p.Doc = p.Doc[len(m[0]):]
	case rangeDecl.MatchString(p.Doc):
		return p, fmt.Errorf("a range applies to INTEGER parameters, not %s", p.Type)
	}
	return p, nil
}
