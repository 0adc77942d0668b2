package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/aiusage/aiusage/internal/lake"
)

// unionDB opens the DuckDB files of the stopped gateways together: each table a view
// over every file's rows, as one DuckDB file holding all of them would be.
func unionDB(t *testing.T, gateways []*gateway) *sql.DB {
	t.Helper()
	db := memDB(t)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	var names []string
	for i, g := range gateways {
		name := fmt.Sprintf("g%d", i)
		if _, err := db.Exec(`ATTACH ` + lake.Quote(g.db()) + ` AS ` + name + ` (READ_ONLY)`); err != nil {
			t.Fatalf("attach %s: %v", g.db(), err)
		}
		names = append(names, name)
	}
	for _, tb := range lake.Tables {
		var parts []string
		for _, n := range names {
			parts = append(parts, `SELECT * FROM `+n+`.main.`+lake.Ident(tb.Name))
			if tb.Name == lake.Prices { // the same table in every gateway
				break
			}
		}
		if _, err := db.Exec(`CREATE VIEW main.` + lake.Ident(tb.Name) + ` AS ` + strings.Join(parts, " UNION ALL BY NAME ")); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// tableColumns are a table's columns ("name TYPE"), as a gateway's file has it.
func tableColumns(t *testing.T, union *sql.DB, table string) []string {
	t.Helper()
	rows, err := union.Query(`SELECT column_name || ' ' || data_type FROM information_schema.columns
WHERE table_catalog = 'g0' AND table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// checkWithParquetGo reads every file the lake's manifest lists with parquet-go, a
// Parquet implementation independent of DuckDB: each file's columns must be its
// table's, typed as DuckDB types them (the day only in the path), and hold the rows the
// manifest says. The calls files are decoded whole: their spans and tokens are returned.
func checkWithParquetGo(t *testing.T, root string, live []lake.Entry, union *sql.DB) (spans map[string]int, input, output int64) {
	t.Helper()
	spans = map[string]int{}
	schemas := map[string][]string{}
	for _, e := range live {
		tb, _ := lake.Lookup(e.Table)
		want, ok := schemas[e.Table]
		if !ok {
			want = tableColumns(t, union, e.Table)
			if tb.HasDay {
				want = slices.DeleteFunc(want, func(c string) bool { return strings.HasPrefix(c, "day ") })
			}
			schemas[e.Table] = want
		}
		f, err := os.Open(lake.FilePath(root, e.File))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			f.Close()
			t.Fatalf("parquet-go cannot open %s: %v", e.File, err)
		}
		var got []string
		for _, field := range pf.Schema().Fields() {
			got = append(got, field.Name()+" "+duckdbType(field))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parquet-go reads columns\n%v\nthe table has\n%v", e.File, got, want)
		}
		if pf.NumRows() != e.Rows {
			t.Errorf("%s: parquet-go counts %d rows, the manifest %d", e.File, pf.NumRows(), e.Rows)
		}
		if e.Table == lake.UsageLog {
			r := parquet.NewGenericReader[usageRow](pf)
			buf := make([]usageRow, 256)
			var read int64
			for {
				n, err := r.Read(buf)
				for _, row := range buf[:n] {
					spans[row.TraceID+"/"+row.SpanID]++
					input += deref(row.InputTokens)
					output += deref(row.OutputTokens)
				}
				read += int64(n)
				if err != nil {
					break
				}
			}
			r.Close()
			if read != e.Rows {
				t.Errorf("%s: parquet-go decoded %d rows, the manifest says %d", e.File, read, e.Rows)
			}
		}
		f.Close()
	}
	return spans, input, output
}

// usageRow is what the check decodes of a call.
type usageRow struct {
	TraceID      string `parquet:"trace_id"`
	SpanID       string `parquet:"span_id"`
	InputTokens  *int64 `parquet:"input_tokens,optional"`
	OutputTokens *int64 `parquet:"output_tokens,optional"`
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// duckdbType names the DuckDB type a Parquet field holds, from its physical and logical
// types alone.
func duckdbType(f parquet.Field) string {
	if !f.Leaf() { // a LIST: <name> (LIST) / list (repeated) / element
		if list := f.Fields(); len(list) == 1 && !list[0].Leaf() && len(list[0].Fields()) == 1 {
			return duckdbType(list[0].Fields()[0]) + "[]"
		}
		return "STRUCT"
	}
	logical := ""
	if lt := f.Type().LogicalType(); lt != nil {
		logical = lt.String()
	}
	switch kind := f.Type().Kind().String(); {
	case kind == "BYTE_ARRAY" && logical == "STRING":
		return "VARCHAR"
	case kind == "BYTE_ARRAY" && logical == "JSON":
		return "JSON"
	case kind == "INT64" && strings.HasPrefix(logical, "TIMESTAMP(isAdjustedToUTC=true"):
		return "TIMESTAMP WITH TIME ZONE"
	case kind == "INT64" && logical == "INT(64,false)":
		return "UBIGINT"
	case kind == "INT64" && (logical == "" || logical == "INT(64,true)"):
		return "BIGINT"
	case kind == "INT32" && logical == "DATE":
		return "DATE"
	case kind == "INT32" && logical == "INT(32,false)":
		return "UINTEGER"
	case kind == "INT32" && (logical == "" || logical == "INT(32,true)"):
		return "INTEGER"
	case kind == "DOUBLE":
		return "DOUBLE"
	case kind == "BOOLEAN":
		return "BOOLEAN"
	default:
		return kind + "/" + logical
	}
}

// checkWithNode runs queries/check/lake.mjs, which reads the lake with DuckDB's Node
// client (make deps installs it).
func checkWithNode(t *testing.T, root string) {
	t.Helper()
	dir := filepath.Join(repoRoot, "queries", "check")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("DuckDB's Node client is not installed (make deps)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), "node", "lake.mjs", abs)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("node lake.mjs:\n%s", out)
	if err != nil {
		t.Errorf("DuckDB's Node client found the lake wrong: %v", err)
	}
}
