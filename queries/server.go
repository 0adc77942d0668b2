package queries

import (
	"log"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Bounds of a report endpoint's HTTP server. A request is a GET with a short query
// string: a slow client gets little time to send it; the answer may wait for its turn,
// for a slot and for the query, each up to the query timeout.
const (
	serverReadHeaderTimeout = 5 * time.Second
	serverReadTimeout       = 10 * time.Second
	serverIdleTimeout       = 60 * time.Second
	serverWriteMargin       = 10 * time.Second
	// serverMaxConnections bounds the memory of clients waiting their turn: more
	// connections wait in the kernel's accept queue, costing the server nothing.
	serverMaxConnections = 128
)

// MaxHeaderBytes bounds a report request's header, its request line included: room
// for the longest query string (a 4 KB limits value, escaped) and ordinary headers.
const MaxHeaderBytes = 32 << 10

// MinPublicToken is the shortest bearer token a report endpoint that is not on
// loopback accepts.
const MinPublicToken = 16

// NewServer returns the HTTP server of a report endpoint around handler, with the
// timeouts and header bound of a report endpoint whose queries stop after queryTimeout.
// Serve it on [LimitListener] of its listener.
func NewServer(handler http.Handler, queryTimeout time.Duration, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: serverReadHeaderTimeout,
		ReadTimeout:       serverReadTimeout,
		WriteTimeout:      3*queryTimeout + serverWriteMargin,
		IdleTimeout:       serverIdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

// LimitListener bounds the connections a report endpoint accepts at once.
func LimitListener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, serverMaxConnections)
}

// IsLoopback reports whether host (a name or an address, as in an endpoint's host:port)
// is this machine's loopback.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
