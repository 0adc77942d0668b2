package duckdbexporter

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

const benchBatch = 8192

// benchTraces is a batch of benchBatch GenAI spans shaped like the instrumentation's:
// 22 attributes, four users, a resource with service.name.
func benchTraces() ptrace.Traces {
	spans := make([]testSpan, benchBatch)
	for i := range spans {
		attrs := groqCall()
		attrs[string(semconv.UserID)] = fmt.Sprintf("user-%d", i%4)
		spans[i] = testSpan{n: uint64(i), attrs: attrs, start: testStart.Add(time.Duration(i) * time.Millisecond),
			end: testStart.Add(time.Duration(i)*time.Millisecond + 800*time.Millisecond)}
	}
	return buildTraces(spans...)
}

// renumber gives every span of td fresh ids and moves it by round*step in time, so the
// next push is new data rather than a replay. The spans of a batch spread over 8.2 s:
// a step of 10 s keeps batches in time order, a smaller one makes them overlap.
func renumber(td ptrace.Traces, round int, step time.Duration) {
	base := uint64(round) * benchBatch
	shift := time.Duration(round) * step
	i := uint64(0)
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				sp.SetTraceID(traceID(base + i))
				sp.SetSpanID(spanID(base + i))
				sp.SetStartTimestamp(pcommon.NewTimestampFromTime(testStart.Add(shift + time.Duration(i)*time.Millisecond)))
				sp.SetEndTimestamp(pcommon.NewTimestampFromTime(testStart.Add(shift + time.Duration(i)*time.Millisecond + 800*time.Millisecond)))
				i++
			}
		}
	}
}

// BenchmarkPushVsRawAppender compares, batch by batch in the same run, the exporter's
// push of a pdata batch (convert, duplicate check, append, roll-up, one transaction)
// with the raw DuckDB Appender writing the same rows, already built, into the same
// table of another file with the same settings. In order, each batch starts after
// everything stored and skips the duplicate lookup; overlapping, every batch needs it.
func BenchmarkPushVsRawAppender(b *testing.B) {
	b.Run("in_order", func(b *testing.B) { benchmarkPushVsRaw(b, 10*time.Second) })
	b.Run("overlapping", func(b *testing.B) { benchmarkPushVsRaw(b, 4*time.Second) })
}

func benchmarkPushVsRaw(b *testing.B, step time.Duration) {
	ctx := context.Background()
	cfg := testConfig(b)
	e := startExporter(b, cfg)

	rawCfg := *cfg
	rawCfg.Path = filepath.Join(b.TempDir(), "raw.duckdb")
	rawDB := startExporter(b, &rawCfg) // same schema and settings; written to directly below
	conn, err := rawDB.db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()

	td := benchTraces()
	var rawTime, pushTime time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		renumber(td, i, step)
		rows := convertTraces(td).rows
		b.StartTimer()

		// Alternate which goes first, so neither pays for the other's garbage or I/O.
		raw := func() {
			t0 := time.Now()
			if err := rawAppend(ctx, conn, rows); err != nil {
				b.Fatal(err)
			}
			rawTime += time.Since(t0)
		}
		push := func() {
			t0 := time.Now()
			if err := e.pushTraces(ctx, td); err != nil {
				b.Fatal(err)
			}
			pushTime += time.Since(t0)
		}
		if i%2 == 0 {
			raw()
			push()
		} else {
			push()
			raw()
		}
		// Checkpoint both files outside the clocks: an automatic checkpoint (every
		// checkpoint_threshold of log) would otherwise land in one side's batch at random
		// and swamp the comparison.
		b.StopTimer()
		for _, db := range []*sql.DB{e.db, rawDB.db} {
			if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	n := float64(b.N * benchBatch)
	rawRate, pushRate := n/rawTime.Seconds(), n/pushTime.Seconds()
	b.ReportMetric(rawRate, "raw_rows/s")
	b.ReportMetric(pushRate, "push_rows/s")
	b.ReportMetric(pushRate/rawRate, "push/raw")
}

// rawAppend is the baseline: one transaction, the Appender, nothing else.
func rawAppend(ctx context.Context, conn *sql.Conn, rows []usageRow) error {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	err := rawConn(conn, func(dc *duckdb.Conn) error {
		app, err := duckdb.NewAppenderWithColumns(dc, "", "", "ai_usage_log", usageColumnNames)
		if err != nil {
			return err
		}
		for i := range rows {
			if err := app.AppendRow(rows[i][:]...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// BenchmarkConvertTraces is the Go side of a push before the Appender: pdata to rows.
func BenchmarkConvertTraces(b *testing.B) {
	td := benchTraces()
	for b.Loop() {
		batch := collectSpans(td, newTimeWindow(time.Now()), testLimits)
		n := 0
		batch.eachRow(nil, func(*usageRow) error { n++; return nil })
		if n != benchBatch {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/span")
}

// BenchmarkOTLPToDuckDB is the whole path: the OTel SDK's OTLP gRPC exporter sends
// batches to a collector (otlp receiver, sending queue, this exporter) in this process;
// the clock stops when the collector has drained its queue into the file.
func BenchmarkOTLPToDuckDB(b *testing.B) {
	s := newCollectorSetup(b, false)
	_, stop := startInProcess(b, s)
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.otlp), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	const perExport = 1024
	res := resource.NewSchemaless(semconv.ServiceName.String("bench"))
	next := 0
	makeStubs := func() tracetest.SpanStubs {
		stubs := make(tracetest.SpanStubs, perExport)
		for i := range stubs {
			n := next
			next++
			start := time.Now()
			stubs[i] = tracetest.SpanStub{Name: "chat", SpanKind: trace.SpanKindClient, StartTime: start,
				EndTime: start.Add(time.Second), Attributes: genAIAttrs(n), Resource: res,
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
					TraceID: trace.TraceID{0xbb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)},
					SpanID:  trace.SpanID{0xbb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 2}})}
		}
		return stubs
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		spans := makeStubs().Snapshots()
		b.StartTimer()
		if err := exp.ExportSpans(ctx, spans); err != nil {
			b.Fatal(err)
		}
	}
	stop() // drain the sending queue: the spans are in the file when this returns
	b.StopTimer()
	b.ReportMetric(float64(b.N*perExport)/b.Elapsed().Seconds(), "spans/s")
}
