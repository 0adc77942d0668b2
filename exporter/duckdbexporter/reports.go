package duckdbexporter

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/netutil"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
)

// Bounds of the report endpoint's HTTP server. A request is a GET with a short query
// string: a slow client gets little time to send it; the answer may wait for its turn,
// for a slot and for the query, each up to reports.query_timeout.
const (
	reportsReadHeaderTimeout = 5 * time.Second
	reportsReadTimeout       = 10 * time.Second
	reportsIdleTimeout       = 60 * time.Second
	reportsWriteMargin       = 10 * time.Second
	// reportsMaxHeaderBytes holds the request line too: the longest query string
	// (a 4 KB limits value, escaped) and ordinary headers.
	reportsMaxHeaderBytes = 32 << 10
	// reportsMaxConnections bounds the memory of clients waiting their turn: more
	// connections wait in the kernel's accept queue, costing the collector nothing.
	reportsMaxConnections = 128
)

// reportServer is the running report endpoint.
type reportServer struct {
	srv     *http.Server
	handler *queries.Handler
}

// serveReports starts the report endpoint: the read-only reports of package queries,
// run against the exporter's database within the configured bounds, behind the Host
// check of a loopback endpoint and the optional bearer token, and the web console that
// reads them (its page and scripts hold no data and need no token). Pages of the
// origins in cors_allowed_origins may read the reports too.
func (e *duckdbExporter) serveReports() (*reportServer, error) {
	cfg := e.cfg.Reports
	ln, err := net.Listen("tcp", cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("reports.endpoint: listen on %s: %w", cfg.Endpoint, err)
	}
	h := queries.NewHandler(e.db, cfg.Limits, func(report string, err error) {
		e.logger.Error("duckdb report failed", zap.String("report", report), zap.Error(err))
	})
	reports := requireToken(string(cfg.BearerToken), h)
	mux := http.NewServeMux()
	mux.Handle("/reports", reports)
	mux.Handle("/reports/", reports)
	console.Mount(mux)
	handler := console.AllowOrigins(cfg.CORSAllowedOrigins, mux)
	if host, _, _ := net.SplitHostPort(cfg.Endpoint); isLoopback(host) {
		handler = requireLoopbackHost(host, ln.Addr().(*net.TCPAddr).Port, handler)
	}
	ln = netutil.LimitListener(ln, reportsMaxConnections)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: reportsReadHeaderTimeout,
		ReadTimeout:       reportsReadTimeout,
		WriteTimeout:      3*cfg.QueryTimeout + reportsWriteMargin,
		IdleTimeout:       reportsIdleTimeout,
		MaxHeaderBytes:    reportsMaxHeaderBytes,
		ErrorLog:          zap.NewStdLog(e.logger),
	}
	e.logger.Info("serving duckdb reports", zap.String("endpoint", ln.Addr().String()),
		zap.Int("max_concurrent", cfg.MaxConcurrent), zap.Duration("query_timeout", cfg.QueryTimeout))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Error("duckdb report endpoint stopped", zap.Error(err))
		}
	}()
	return &reportServer{srv: srv, handler: h}, nil
}

// close stops the endpoint: no new requests, running queries interrupted and waited
// for, so the database can close after it.
func (s *reportServer) close() {
	s.srv.Close()
	s.handler.Close()
}
