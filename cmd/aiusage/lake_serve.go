package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/console"
	"github.com/aiusage/aiusage/internal/lake"
	"github.com/aiusage/aiusage/queries"
)

// defaultLakeEndpoint is beside the collector's default report endpoint (8765), so
// both can run on one machine.
const defaultLakeEndpoint = "127.0.0.1:8766"

// serveLake is `aiusage lake serve`: the report endpoint and the web console over the
// lake's views, the fleet's one place to ask, until ctx ends.
func serveLake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aiusage lake serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("lake", "", "the lake `directory`")
	endpoint := fs.String("endpoint", defaultLakeEndpoint, "`host:port` to serve on; beyond loopback it needs a token")
	token := fs.String("token", "", "bearer `token` the endpoint wants (default $"+tokenEnv+"; empty: none, loopback only)")
	refresh := fs.Duration("refresh", time.Minute, "how often the views take in the files new manifests list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--lake: name the lake directory")
	}
	if *token == "" {
		*token = os.Getenv(tokenEnv)
	}
	host, _, err := net.SplitHostPort(*endpoint)
	switch {
	case err != nil:
		return fmt.Errorf("--endpoint: %q is not host:port: %w", *endpoint, err)
	case !queries.IsLoopback(host) && len(*token) < queries.MinPublicToken:
		return fmt.Errorf("--token: a token of at least %d bytes is required when --endpoint %q is not loopback", queries.MinPublicToken, *endpoint)
	case *refresh < time.Second:
		return fmt.Errorf("--refresh: %s is less than 1s", *refresh)
	}
	l, err := lake.Open(ctx, *dir, lake.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	ln, err := net.Listen("tcp", *endpoint)
	if err != nil {
		return fmt.Errorf("--endpoint: %w", err)
	}
	lim := queries.DefaultLimits()
	h := queries.NewHandler(l.DB, lim, func(report string, err error) {
		fmt.Fprintf(stderr, "report %s failed: %v\n", report, err)
	})
	defer h.Close()
	reports := queries.RequireToken(*token, h)
	mux := http.NewServeMux()
	mux.Handle("/reports", reports)
	mux.Handle("/reports/", reports)
	console.Mount(mux)
	var handler http.Handler = mux
	port := ln.Addr().(*net.TCPAddr).Port
	if queries.IsLoopback(host) {
		handler = queries.RequireLoopbackHost(host, port, handler)
	}
	srv := queries.NewServer(handler, lim.QueryTimeout, log.New(stderr, "aiusage lake serve: ", 0))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(queries.LimitListener(ln)) }()
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	fmt.Fprintf(stdout, "serving the reports over lake %s: %s/reports, console %s%s\n", *dir, base, base, console.Path)

	tick := time.NewTicker(*refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			srv.Close()
			<-served
			return nil
		case err := <-served:
			return fmt.Errorf("serve %s: %w", *endpoint, err)
		case <-tick.C:
			if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "refresh the lake's views: %v\n", err)
			}
		}
	}
}
