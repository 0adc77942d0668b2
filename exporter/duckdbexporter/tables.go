package duckdbexporter

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template"

	"github.com/aiusage/aiusage/queries"
)

// TablesConfig names the tables the exporter writes. The defaults are the schema's
// (internal/schema), which the embedded migrations create and the reports read; other
// names suit an operator-managed schema (create_schema: false).
type TablesConfig struct {
	UsageLog                   string `mapstructure:"usage_log"`
	Daily                      string `mapstructure:"daily"`
	QuotaSnapshot              string `mapstructure:"quota_snapshot"`
	MetricGauge                string `mapstructure:"metric_gauge"`
	MetricSum                  string `mapstructure:"metric_sum"`
	MetricHistogram            string `mapstructure:"metric_histogram"`
	MetricExponentialHistogram string `mapstructure:"metric_exponential_histogram"`
	MetricSummary              string `mapstructure:"metric_summary"`
}

// defaultTables are the names migrations 0001 and 0002 create.
func defaultTables() TablesConfig {
	return TablesConfig{
		UsageLog:                   "ai_usage_log",
		Daily:                      "ai_usage_daily",
		QuotaSnapshot:              "ai_quota_snapshot",
		MetricGauge:                "ai_metric_gauge",
		MetricSum:                  "ai_metric_sum",
		MetricHistogram:            "ai_metric_histogram",
		MetricExponentialHistogram: "ai_metric_exponential_histogram",
		MetricSummary:              "ai_metric_summary",
	}
}

// identifier is what a table name may be: a plain SQL identifier, so it never needs
// more than double quotes.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// tableField is one key of the tables section.
type tableField struct{ key, name, def string }

func (t TablesConfig) fields() []tableField {
	v, d := reflect.ValueOf(t), reflect.ValueOf(defaultTables())
	out := make([]tableField, v.NumField())
	for i := range out {
		out[i] = tableField{key: "tables." + v.Type().Field(i).Tag.Get("mapstructure"),
			name: v.Field(i).String(), def: d.Field(i).String()}
	}
	return out
}

// renamed reports whether any table has a name other than the schema's.
func (t TablesConfig) renamed() bool { return t != defaultTables() }

func (t TablesConfig) validate(createSchema, reports bool) []error {
	var errs []error
	seen := map[string]string{}
	for _, f := range t.fields() {
		switch {
		case !identifier.MatchString(f.name):
			errs = append(errs, fmt.Errorf("%s: %q is not a table name (letters, digits and _, not starting with a digit, at most 63)", f.key, f.name))
		case seen[f.name] != "":
			errs = append(errs, fmt.Errorf("%s: %q is already the name of %s", f.key, f.name, seen[f.name]))
		case f.name != f.def && createSchema:
			errs = append(errs, fmt.Errorf("%s: %q differs from the schema's %q; the embedded migrations create the schema's names, so renamed tables need create_schema: false", f.key, f.name, f.def))
		case f.name != f.def && reports:
			errs = append(errs, fmt.Errorf("%s: %q differs from the schema's %q, which the reports served at reports.endpoint read", f.key, f.name, f.def))
		}
		seen[f.name] = f.key
	}
	return errs
}

// metric is the table of a point type.
func (t TablesConfig) metric(k pointKind) string {
	switch k {
	case pointGauge:
		return t.MetricGauge
	case pointSum:
		return t.MetricSum
	case pointHistogram:
		return t.MetricHistogram
	case pointExponentialHistogram:
		return t.MetricExponentialHistogram
	default:
		return t.MetricSummary
	}
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// statements are the exporter's SQL with the configured table names in place.
type statements struct {
	storedSpans string
	latestSpan  string
	latestPoint string
	lastRow     string
	rollup      string // sql/rollup_rows.sql followed by the rule of queries/rollup.sql
	storedPoint [numPointKinds]string
	quotaStage  string
	quotaMerge  []string
	retention   *queries.Report // queries/retention.sql

	// The archive's (archive.go), for the schema's table names only. archiveLive is the
	// statement of queries/retention.sql that defines ai_archive_live, which the others
	// read: what retention and the archive both compare the marks with.
	archiveLive, archivePending, archiveMark, archivePrices, archivePricesMark, archiveRecord string
}

// schemaTableNames matches the schema's table names in SQL written for them (queries/),
// and the comments and string literals, which rename leaves as they are
// ('ai_usage_log' names a table in the archive's marks).
var schemaTableNames = func() *regexp.Regexp {
	var names []string
	for _, f := range defaultTables().fields() {
		names = append(names, regexp.QuoteMeta(f.def))
	}
	return regexp.MustCompile(`--[^\n]*|'(?:[^']|'')*'|\b(` + strings.Join(names, "|") + `)\b`)
}()

// rename puts the configured table names, quoted, in place of the schema's in sqlText.
func (t TablesConfig) rename(sqlText string) string {
	quoted := map[string]string{}
	for _, f := range t.fields() {
		quoted[f.def] = `"` + f.name + `"`
	}
	return schemaTableNames.ReplaceAllStringFunc(sqlText, func(name string) string {
		if strings.HasPrefix(name, "'") || strings.HasPrefix(name, "--") {
			return name
		}
		return quoted[name]
	})
}

// renderStatements fills the embedded SQL templates with the table names, quoted.
func renderStatements(t TablesConfig) (statements, error) {
	quoted := map[string]string{}
	v := reflect.ValueOf(t)
	for i := range v.NumField() {
		quoted[v.Type().Field(i).Name] = `"` + v.Field(i).String() + `"`
	}
	render := func(name string, data any) (string, error) {
		tmpl, err := template.ParseFS(sqlFiles, "sql/"+name)
		if err != nil {
			return "", fmt.Errorf("sql/%s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("sql/%s: %w", name, err)
		}
		return buf.String(), nil
	}
	var s statements
	var err error
	if s.storedSpans, err = render("stored_spans.sql", quoted); err != nil {
		return s, err
	}
	if s.latestSpan, err = render("latest_span.sql", quoted); err != nil {
		return s, err
	}
	if s.latestPoint, err = render("latest_point.sql", quoted); err != nil {
		return s, err
	}
	for k := range pointKind(numPointKinds) {
		if s.storedPoint[k], err = render("stored_points.sql", map[string]string{"Table": `"` + t.metric(k) + `"`}); err != nil {
			return s, err
		}
	}
	if s.lastRow, err = render("last_row.sql", quoted); err != nil {
		return s, err
	}
	rows, err := render("rollup_rows.sql", quoted)
	if err != nil {
		return s, err
	}
	rule, err := rollupRule(t)
	if err != nil {
		return s, err
	}
	s.rollup = rows + rule
	if s.quotaStage, err = render("quota_stage.sql", quoted); err != nil {
		return s, err
	}
	merge, err := render("quota_merge.sql", quoted)
	if err != nil {
		return s, err
	}
	s.quotaMerge = splitStatements(merge)
	for _, f := range []struct {
		into *string
		file string
	}{{&s.archivePending, "archive_pending.sql"}, {&s.archiveMark, "archive_mark.sql"}, {&s.archivePrices, "archive_prices.sql"},
		{&s.archivePricesMark, "archive_prices_mark.sql"}, {&s.archiveRecord, "archive_record.sql"}} {
		if *f.into, err = render(f.file, quoted); err != nil {
			return s, err
		}
	}
	retention, err := queries.Lookup("retention")
	if err != nil {
		return s, err
	}
	renamed := *retention
	renamed.SQL = t.rename(retention.SQL)
	s.retention = &renamed
	for _, stmt := range splitStatements(renamed.SQL) {
		if code := withoutLeadingComments(stmt); strings.HasPrefix(code, "CREATE OR REPLACE TEMP VIEW ai_archive_live AS") {
			s.archiveLive = code
		}
	}
	if s.archiveLive == "" {
		return s, errors.New("queries/retention.sql has no statement CREATE OR REPLACE TEMP VIEW ai_archive_live AS ...: what a table holds per day, which the archive marks")
	}
	return s, nil
}
