package duckdbexporter

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/aiusage/aiusage/queries"
)

// serveReports starts the report endpoint: the read-only reports of package queries,
// run against the exporter's database, behind the optional bearer token.
func (e *duckdbExporter) serveReports() (*http.Server, error) {
	ln, err := net.Listen("tcp", e.cfg.Reports.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("reports.endpoint: listen on %s: %w", e.cfg.Reports.Endpoint, err)
	}
	srv := &http.Server{
		Handler:           requireToken(string(e.cfg.Reports.BearerToken), queries.Handler(e.db)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(e.logger),
	}
	e.logger.Info("serving duckdb reports", zap.String("endpoint", ln.Addr().String()))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Error("duckdb report endpoint stopped", zap.Error(err))
		}
	}()
	return srv, nil
}

// requireToken wraps next so that it answers only requests carrying
// "Authorization: Bearer <token>"; an empty token lets every request through.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="aiusage reports"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
