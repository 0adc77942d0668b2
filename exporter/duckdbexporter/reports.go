package duckdbexporter

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"go.uber.org/zap"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/queries"
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
	reports := queries.RequireToken(string(cfg.BearerToken), h)
	mux := http.NewServeMux()
	mux.Handle("/reports", reports)
	mux.Handle("/reports/", reports)
	console.Mount(mux)
	handler := console.AllowOrigins(cfg.CORSAllowedOrigins, mux)
	if host, _, _ := net.SplitHostPort(cfg.Endpoint); queries.IsLoopback(host) {
		handler = queries.RequireLoopbackHost(host, ln.Addr().(*net.TCPAddr).Port, handler)
	}
	srv := queries.NewServer(handler, cfg.QueryTimeout, zap.NewStdLog(e.logger))
	ln = queries.LimitListener(ln)
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
