package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aiusage/aiusage/queries"
)

// corsMaxAge is how long, in seconds, a browser may reuse a preflight answer.
const corsMaxAge = "600"

// AllowOrigins wraps next so that web pages of the listed origins may read its answers
// across origins (CORS), as the quota widget in an app's header does: GET requests,
// with an Authorization header. Origins are compared in the form [CheckOrigin] returns
// (one it refuses matches nothing: configurations check them first); with none, next is
// returned unchanged and browsers keep other origins out.
func AllowOrigins(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if c, err := CheckOrigin(o); err == nil {
			allowed[c] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		ok := allowed[strings.ToLower(origin)]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			method := r.Header.Get("Access-Control-Request-Method")
			switch {
			case !ok:
				queries.WriteError(w, http.StatusForbidden, fmt.Errorf("origin %s may not read the reports: it is not in reports.cors_allowed_origins", queries.Quote(origin)))
			case method != http.MethodGet && method != http.MethodHead:
				queries.WriteError(w, http.StatusMethodNotAllowed, fmt.Errorf("the report endpoint answers GET only, not %s", queries.Quote(method)))
			default:
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", "GET, HEAD")
				h.Set("Access-Control-Allow-Headers", "Authorization")
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
			}
			return
		}
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			// A busy endpoint's 503 says when to ask again; the widget waits that long.
			h.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}

// CheckOrigin returns s as a web origin in the form browsers send it
// ("https://app.example.com", "http://localhost:3000": lower case, no default port), or
// why it is not one. "*" is refused: the reports would be readable by every page a
// browser on this machine opens.
func CheckOrigin(s string) (string, error) {
	if s == "*" {
		return "", errors.New(`"*" would let every web page read the reports; list the origins of the apps that embed the widget`)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%s is not an origin such as https://app.example.com: %w", queries.Quote(s), err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s is not an origin such as https://app.example.com: the scheme must be http or https", queries.Quote(s))
	case u.Host == "" || u.Hostname() == "" || u.Opaque != "" || strings.HasSuffix(u.Host, ":"):
		return "", fmt.Errorf("%s is not an origin such as https://app.example.com: it names no host", queries.Quote(s))
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return "", fmt.Errorf("%s is not an origin such as https://app.example.com: an origin is scheme://host[:port], with no path, query or user", queries.Quote(s))
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return u.Scheme + "://" + host, nil
}
