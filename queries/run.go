package queries

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Result is what a report returned: its columns and rows. Cell values are nil, bool,
// int64, float64, string (dates as YYYY-MM-DD, times as RFC 3339 in UTC) or []any of these.
type Result struct {
	Report  string   `json:"report"`
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// Run executes the report on one connection of db with args as its parameters (see
// [Report.Bind]). The values are bound as statement parameters of SET VARIABLE, never
// spliced into SQL; every parameter the report declares is set (NULL when not given, so
// the query's default applies) and reset afterwards, since variables outlive a query on
// a pooled connection.
func (r *Report) Run(ctx context.Context, db *sql.DB, args map[string]string) (*Result, error) {
	vals, err := r.Bind(args)
	if err != nil {
		return nil, err
	}
	return r.runBound(ctx, db, vals)
}

// runBound is Run with values [Report.Bind] returned.
func (r *Report) runBound(ctx context.Context, db *sql.DB, vals map[string]string) (*Result, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("report %s: connect: %w", r.Name, err)
	}
	defer conn.Close()
	defer r.resetVariables(conn)
	for _, p := range r.Params {
		var v any // NULL unless given
		if s, ok := vals[p.Name]; ok {
			v = s
		}
		// p.Name and p.Type come from the embedded header (checked identifiers and types); only v is input.
		if _, err := conn.ExecContext(ctx, "SET VARIABLE "+p.Name+" = CAST(? AS "+p.Type+")", v); err != nil {
			return nil, fmt.Errorf("report %s: set parameter %s: %w", r.Name, p.Name, err)
		}
	}
	res, err := r.query(ctx, conn)
	if err != nil {
		if !r.ReadOnly() {
			// A failed statement leaves the file's transaction open and aborted.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return nil, fmt.Errorf("report %s: %w", r.Name, err)
	}
	return res, nil
}

func (r *Report) resetVariables(conn *sql.Conn) {
	for _, p := range r.Params {
		_, _ = conn.ExecContext(context.Background(), "RESET VARIABLE "+p.Name)
	}
}

func (r *Report) query(ctx context.Context, conn *sql.Conn) (*Result, error) {
	rows, err := conn.QueryContext(ctx, r.SQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Report: r.Name, Rows: [][]any{}}
	for _, t := range types {
		res.Columns = append(res.Columns, Column{Name: t.Name(), Type: t.DatabaseTypeName()})
	}
	for rows.Next() {
		cells := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cells {
			cells[i] = normalize(res.Columns[i].Type, c)
		}
		res.Rows = append(res.Rows, cells)
	}
	return res, rows.Err()
}

// normalize turns a driver value into one of the Result cell types.
func normalize(dbType string, v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case time.Time:
		if dbType == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(strings.TrimSuffix(dbType, "[]"), e)
		}
		return out
	case []byte:
		return string(x)
	case interface{ Float64() float64 }: // DECIMAL
		return x.Float64()
	case fmt.Stringer: // UUID, INTERVAL
		return x.String()
	}
	return fmt.Sprint(v)
}
