package duckdbexporter

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// spanKey identifies a span; the zero key (no ids) is never treated as a duplicate.
type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// spanBatch is the GenAI spans of a traces batch, each once, before the check against
// the spans already stored. Rows are built from it only while appending, so a batch
// never holds all its rows in memory at once.
type spanBatch struct {
	spans            []batchSpan
	keys             map[spanKey]struct{} // of spans with an id
	resources        []pcommon.Map
	minTime, maxTime time.Time // of span start times
	window           timeWindow
	limits           attrLimits
	stats            batchStats
}

// batchSpan is a span to write and the index of its resource in spanBatch.resources.
type batchSpan struct {
	span     ptrace.Span
	resource int
}

// collectSpans picks the GenAI spans of td that w accepts, dropping spans repeated
// within td.
func collectSpans(td ptrace.Traces, w timeWindow, lim attrLimits) spanBatch {
	b := spanBatch{spans: make([]batchSpan, 0, td.SpanCount()), keys: make(map[spanKey]struct{}, td.SpanCount()),
		window: w, limits: lim}
	seen := b.keys
	for _, rs := range td.ResourceSpans().All() {
		resource := -1
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				if _, ok := span.Attributes().Get(string(semconv.GenAIProviderName)); !ok {
					b.stats.spansNotGenAI++
					continue
				}
				start, _, verdict := w.spanStart(span)
				if verdict != timeOK {
					b.stats.spansRejected[verdict]++
					continue
				}
				key := spanKey{trace: span.TraceID(), span: span.SpanID()}
				if !key.span.IsEmpty() {
					if _, dup := seen[key]; dup {
						b.stats.spansDuplicate++
						continue
					}
					seen[key] = struct{}{}
				}
				if resource < 0 {
					b.resources = append(b.resources, rs.Resource().Attributes())
					resource = len(b.resources) - 1
				}
				b.spans = append(b.spans, batchSpan{span: span, resource: resource})
				if b.minTime.IsZero() || start.Before(b.minTime) {
					b.minTime = start
				}
				if start.After(b.maxTime) {
					b.maxTime = start
				}
			}
		}
	}
	return b
}

// eachRow builds the row of every span of b but those skip reports, in one reused
// array, and passes it to fn. It never fails on data: values it cannot use are NULL
// (kept in the attributes JSON) and counted in b.stats.
func (b *spanBatch) eachRow(skip func(ptrace.Span) bool, fn func(*usageRow) error) error {
	var fixes valueFixes
	defer func() { b.stats.valueFixes = fixes }()
	var row usageRow
	rb := rowBuilder{v: &row, fixes: &fixes, window: b.window, limits: b.limits,
		buf: make([]byte, 0, 1024), boxed: map[string]driver.Value{}}
	services := make([]driver.Value, len(b.resources))
	resJSON := make([]driver.Value, len(b.resources)) // boxed once per resource, not per row
	for i, res := range b.resources {
		if v, ok := res.Get(string(semconv.ServiceName)); ok {
			if s, ok := fixes.str(v); ok {
				services[i] = rb.boxOnce(s)
			}
		}
		resJSON[i] = json.RawMessage(fixes.appendAttributes(nil, res, b.limits))
	}
	for _, s := range b.spans {
		if skip != nil && skip(s.span) {
			continue
		}
		row = usageRow{}
		rb.fill(s.span)
		row[colServiceName] = services[s.resource]
		row[colResourceAttributes] = resJSON[s.resource]
		if err := fn(&row); err != nil {
			return err
		}
	}
	return nil
}

// rowChunk is how many rows pipeRows hands over at a time.
const rowChunk = 512

// pipeRows is eachRow with the rows built on another goroutine, chunk by chunk, while
// fn (the Appender) consumes them: building a row costs about as much CPU as appending
// it, and the two overlap on a second core. Memory stays at a few chunks.
func (b *spanBatch) pipeRows(skip func(ptrace.Span) bool, fn func(*usageRow) error) error {
	full := make(chan []usageRow, 2)
	free := make(chan []usageRow, 3)
	stop := make(chan struct{})
	built := make(chan error, 1)
	go func() {
		defer close(full)
		chunk := make([]usageRow, 0, rowChunk)
		err := b.eachRow(skip, func(r *usageRow) error {
			chunk = append(chunk, *r)
			if len(chunk) < rowChunk {
				return nil
			}
			select {
			case full <- chunk:
			case <-stop:
				return errStopped
			}
			select {
			case chunk = <-free:
			default:
				chunk = make([]usageRow, 0, rowChunk)
			}
			return nil
		})
		if err == nil && len(chunk) > 0 {
			select {
			case full <- chunk:
			case <-stop:
			}
		}
		built <- err
	}()
	var err error
	for chunk := range full {
		for i := range chunk {
			if err = fn(&chunk[i]); err != nil {
				close(stop)
				for range full { // let the builder finish
				}
				<-built
				return err
			}
		}
		select {
		case free <- chunk[:0]:
		default:
		}
	}
	return <-built
}

var errStopped = errors.New("row building stopped")

// rowBuilder fills one row's columns from a span's attributes; attributes without a
// column, and values a column could not take, go to the attributes JSON in buf. It is
// reused across the spans of a batch.
type rowBuilder struct {
	v       *usageRow
	fixes   *valueFixes
	window  timeWindow
	limits  attrLimits
	buf     []byte
	kept    int          // attributes in buf
	arena   []byte       // the batch's attributes JSON, sliced per row: one allocation per many rows
	lastDay driver.Value // spans of a batch mostly share a day: box it once
	// boxed holds the low-cardinality strings of the batch (providers, models, users)
	// already boxed as driver.Value: boxing each anew costs an allocation per column and row.
	boxed  map[string]driver.Value
	recent [len(usageColumns)][4]driver.Value
	// last is each numeric column's previous value, boxed: limits, reset times and
	// list values repeat from span to span, and reusing the box saves an allocation.
	last [len(usageColumns)]driver.Value
	// keys and specs remember the previous span's attribute keys by position: spans of
	// one instrumentation list their attributes in the same order, and comparing a key
	// with the one before is cheaper than a map lookup.
	keys  []string
	specs []columnSpec
	found []bool
}

// spec returns the column of the i-th attribute key k, if it has one.
func (rb *rowBuilder) spec(i int, k string) (columnSpec, bool) {
	if i < len(rb.keys) && rb.keys[i] == k {
		return rb.specs[i], rb.found[i]
	}
	spec, ok := spanColumns[k]
	if i >= len(rb.keys) {
		rb.keys, rb.specs, rb.found = append(rb.keys, k), append(rb.specs, spec), append(rb.found, ok)
	} else {
		rb.keys[i], rb.specs[i], rb.found[i] = k, spec, ok
	}
	return spec, ok
}

// box returns s, a value of column col, as a driver.Value boxed once per batch. The
// column's last few values are tried first: a column repeats a handful of values
// (providers, models, users), and comparing is cheaper than hashing.
func (rb *rowBuilder) box(col int, s string) driver.Value {
	recent := &rb.recent[col]
	for _, v := range recent {
		if c, ok := v.(string); ok && c == s {
			return v
		}
	}
	v := rb.boxOnce(s)
	copy(recent[1:], recent[:len(recent)-1])
	recent[0] = v
	return v
}

// boxOnce returns s boxed, the same driver.Value for the same string within a batch.
func (rb *rowBuilder) boxOnce(s string) driver.Value {
	if v, ok := rb.boxed[s]; ok {
		return v
	}
	if len(rb.boxed) >= 4096 { // high cardinality after all: stop caching
		return s
	}
	v := driver.Value(s)
	rb.boxed[s] = v
	return v
}

// rest adds an attribute without a column to the attributes JSON, unless
// attribute_limits leaves it out.
func (rb *rowBuilder) rest(k string, val pcommon.Value) {
	var ok bool
	if rb.buf, ok = rb.fixes.appendLimited(rb.buf, 0, rb.kept, k, val, rb.limits); ok {
		rb.kept++
	}
}

// keep adds to the attributes JSON an attribute whose column could not take its
// value: never left out, so the value the column lacks is always there to read.
func (rb *rowBuilder) keep(k string, val pcommon.Value) {
	rb.buf = rb.fixes.appendMember(rb.buf, rb.kept, k, val, 0)
	rb.kept++
}

func (rb *rowBuilder) str(col int, k string, val pcommon.Value) {
	if s, ok := rb.fixes.str(val); ok {
		rb.v[col] = rb.box(col, s)
	} else {
		rb.keep(k, val)
	}
}

func (rb *rowBuilder) count(col int, k string, val pcommon.Value) {
	if n, ok := rb.fixes.count(val, maxCount); ok {
		if c, same := rb.last[col].(int64); !same || c != n {
			rb.last[col] = n
		}
		rb.v[col] = rb.last[col]
	} else {
		rb.keep(k, val)
	}
}

func (rb *rowBuilder) number(col int, k string, val pcommon.Value, limit float64) {
	if d, ok := rb.fixes.number(val, limit); ok {
		// Bits, not ==: 0 and -0 are equal but not the same value.
		if c, same := rb.last[col].(float64); !same || math.Float64bits(c) != math.Float64bits(d) {
			rb.last[col] = d
		}
		rb.v[col] = rb.last[col]
	} else {
		rb.keep(k, val)
	}
}

// fill maps a span, one its time window accepts, to the row's columns.
func (rb *rowBuilder) fill(span ptrace.Span) {
	v := rb.v
	v[colTraceID], v[colSpanID] = idStrings(span.TraceID(), span.SpanID())
	st, dated, _ := rb.window.spanStart(span) // as collectSpans found: the window fixes the arrival time
	if !dated {
		rb.fixes.coerced++
	}
	v[colStartTime] = st
	day := time.Date(st.Year(), st.Month(), st.Day(), 0, 0, 0, 0, time.UTC)
	if last, ok := rb.lastDay.(time.Time); !ok || !last.Equal(day) {
		rb.lastDay = day
	}
	v[colDay] = rb.lastDay
	if et, ok, nulled := rb.window.optionalTime(span.EndTimestamp()); ok {
		v[colEndTime] = et
		if !et.Before(st) {
			v[colDuration] = et.Sub(st).Seconds()
		}
	} else if nulled {
		rb.fixes.nulled++
	}

	rb.buf, rb.kept = append(rb.buf[:0], '{'), 0
	i := -1
	for k, val := range span.Attributes().All() {
		i++
		spec, ok := rb.spec(i, k)
		if !ok {
			rb.rest(k, val)
			continue
		}
		if spec.alias && v[spec.col] != nil {
			continue // the column's own attribute filled it: the same fact twice
		}
		switch spec.kind {
		case kindString:
			rb.str(spec.col, k, val)
		case kindCount:
			rb.count(spec.col, k, val)
		case kindSeconds:
			rb.number(spec.col, k, val, maxSeconds)
		case kindCost:
			rb.number(spec.col, k, val, maxCostUSD)
		case kindProvider:
			if s, ok := rb.fixes.str(val); ok {
				v[spec.col] = rb.box(spec.col, s)
			} else {
				v[spec.col] = val.AsString() // the column is required; keep its text
				rb.fixes.coerced++
			}
		case kindUnique: // unique per call: not worth caching
			if s, ok := rb.fixes.str(val); ok {
				v[spec.col] = s
			} else {
				rb.keep(k, val)
			}
		case kindBool:
			if b, ok := rb.fixes.boolean(val); ok {
				v[spec.col] = b
			} else {
				rb.keep(k, val)
			}
		case kindStrings:
			if s, ok := rb.fixes.strings(val); ok {
				if c, same := rb.last[spec.col].([]string); !same || !slices.Equal(c, s) {
					rb.last[spec.col] = s // never changed after: rows may share it
				}
				v[spec.col] = rb.last[spec.col]
			} else {
				rb.keep(k, val)
			}
		case kindStatus:
			if n, ok := rb.fixes.count(val, 999); ok && n >= 100 {
				v[spec.col] = int32(n)
			} else {
				if ok { // a number, but no HTTP status
					rb.fixes.nulled++
				}
				rb.keep(k, val)
			}
		}
	}
	rb.buf = append(rb.buf, '}')
	// The row keeps its own copy, cut from the arena: buf is reused for the next span.
	if cap(rb.arena)-len(rb.arena) < len(rb.buf) {
		rb.arena = make([]byte, 0, max(64<<10, len(rb.buf)))
	}
	start0 := len(rb.arena)
	rb.arena = append(rb.arena, rb.buf...)
	v[colAttributes] = json.RawMessage(rb.arena[start0:len(rb.arena):len(rb.arena)])
}

// idStrings returns the hex trace and span id, cut from one allocation.
func idStrings(t pcommon.TraceID, s pcommon.SpanID) (trace, span string) {
	var b [48]byte
	hex.Encode(b[:32], t[:])
	hex.Encode(b[32:], s[:])
	both := string(b[:])
	return both[:32], both[32:]
}

// pushTraces writes the GenAI spans of td in one transaction, with the roll-up.
func (e *duckdbExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	b := collectSpans(td, newTimeWindow(e.now()), e.cfg.AttributeLimits.limits())
	if len(b.spans) > 0 {
		err := e.inTransaction(ctx, func(conn *sql.Conn) error {
			var stored map[spanKey]struct{}
			before := noRowBefore
			if !b.minTime.After(e.latestSpan) { // the batch may overlap rows stored already
				var err error
				if stored, err = storedSpans(ctx, conn, e.sql.storedSpans, &b); err != nil {
					return err
				}
				if before, err = e.lastRowBefore(ctx, conn, b.minTime, b.maxTime); err != nil {
					return err
				}
			}
			var skip func(ptrace.Span) bool
			if len(stored) > 0 {
				skip = func(s ptrace.Span) bool {
					_, dup := stored[spanKey{trace: s.TraceID(), span: s.SpanID()}]
					return dup
				}
			}
			b.stats.spansDuplicate += int64(len(stored))
			err := appendRows(conn, e.cfg.Tables.UsageLog, usageColumnNames, func(add func(...driver.Value) error) error {
				return b.pipeRows(skip, func(r *usageRow) error {
					b.stats.spansWritten++
					return add(r[:]...)
				})
			})
			if err != nil || b.stats.spansWritten == 0 {
				return err
			}
			return e.rollUp(ctx, b.minTime, b.maxTime, before)
		}, func() {
			if b.maxTime.After(e.latestSpan) {
				e.latestSpan = b.maxTime
			}
		})
		if err != nil {
			return err
		}
		e.budgetsLanded() // the cost just stored may cross a budget; evaluated elsewhere
	}
	e.stats.record(ctx, "traces", b.stats)
	return nil
}

// storedSpans returns which spans of b are stored already (sql/stored_spans.sql): a
// batch the queue delivers again after a crash or a retry lands once.
func storedSpans(ctx context.Context, conn *sql.Conn, query string, b *spanBatch) (map[spanKey]struct{}, error) {
	ids := make([]byte, 0, len(b.spans)*17)
	for _, s := range b.spans {
		id := s.span.SpanID()
		if id.IsEmpty() {
			continue
		}
		if len(ids) > 0 {
			ids = append(ids, ',')
		}
		ids = hex.AppendEncode(ids, id[:])
	}
	if len(ids) == 0 {
		return nil, nil
	}
	res, err := conn.QueryContext(ctx, query, b.minTime, b.maxTime, string(ids))
	if err != nil {
		return nil, fmt.Errorf("look up stored spans: %w", err)
	}
	defer res.Close()
	stored := map[spanKey]struct{}{}
	for res.Next() {
		var t, s string
		if err := res.Scan(&t, &s); err != nil {
			return nil, fmt.Errorf("look up stored spans: %w", err)
		}
		var k spanKey
		if _, err := hex.Decode(k.trace[:], []byte(t)); err != nil {
			continue // not an id this exporter wrote
		}
		if _, err := hex.Decode(k.span[:], []byte(s)); err != nil {
			continue
		}
		stored[k] = struct{}{}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("look up stored spans: %w", err)
	}
	// Only the batch's own spans count as duplicates (a span id may recur in another trace).
	for k := range stored {
		if _, ok := b.keys[k]; !ok {
			delete(stored, k)
		}
	}
	return stored, nil
}

// appendRows appends to table, in the connection's transaction, the rows that rows
// passes to add, each in columns order.
func appendRows(conn *sql.Conn, table string, columns []string, rows func(add func(...driver.Value) error) error) error {
	return rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", table, columns)
		if err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		err = rows(app.AppendRow)
		if err != nil {
			app.Close()
			return fmt.Errorf("append to %s: %w", table, err)
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("append to %s: %w", table, err)
		}
		return nil
	})
}
