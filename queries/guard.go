package queries

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// RequireToken wraps next so that it answers only requests carrying
// "Authorization: Bearer <token>" (the scheme in any case, RFC 7235); an empty token
// lets every request through. Tokens are compared as digests in constant time, so the
// time taken tells nothing of the token, its length included.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimLeft(got, " ")))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="aiusage reports"`)
			WriteError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireLoopbackHost wraps the handler of a loopback endpoint so that it answers only
// requests addressed to loopback on its port: a web page whose host name an attacker
// re-points at 127.0.0.1 (DNS rebinding) sends its own name as Host and gets a 421.
func RequireLoopbackHost(bindHost string, port int, next http.Handler) http.Handler {
	p := strconv.Itoa(port)
	allowed := map[string]bool{}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", bindHost} {
		allowed[net.JoinHostPort(h, p)] = true
		if port == 80 { // clients leave the default port out
			allowed[strings.TrimSuffix(net.JoinHostPort(h, p), ":80")] = true
		}
	}
	want := fmt.Sprintf("localhost:%s, 127.0.0.1:%s or [::1]:%s", p, p, p)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[strings.ToLower(r.Host)] {
			WriteError(w, http.StatusMisdirectedRequest, fmt.Errorf(
				"host %s is not this endpoint (%s): a loopback report endpoint answers only requests addressed to loopback", Quote(r.Host), want))
			return
		}
		next.ServeHTTP(w, r)
	})
}
