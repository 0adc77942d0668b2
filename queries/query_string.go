package queries

import (
	"fmt"
	"net/url"
	"strings"
)

const (
	// maxQueryArgs bounds the arguments of one request: a report takes a few.
	maxQueryArgs = 16
	// maxQueryValue bounds one argument's value, unescaped: the longest parameter value.
	maxQueryValue = maxVarcharParam
)

// QueryError is a query string the endpoint cannot read; Arg names the argument when
// there is one.
type QueryError struct {
	Arg    string
	Reason string
}

func (e *QueryError) Error() string {
	if e.Arg == "" {
		return "query string: " + e.Reason
	}
	return "query argument " + e.Arg + ": " + e.Reason
}

// parseQuery reads a raw query string strictly: an argument whose escapes are broken,
// a ";" separator, an argument given twice, too many arguments or too long a value
// are errors rather than silently dropped, since a dropped filter widens a report.
func parseQuery(raw string) (map[string]string, error) {
	args := map[string]string{}
	if raw == "" {
		return args, nil
	}
	if n := strings.Count(raw, "&") + 1; n > maxQueryArgs {
		return nil, &QueryError{Reason: fmt.Sprintf("%d arguments, at most %d", n, maxQueryArgs)}
	}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, &QueryError{Arg: shorten(rawKey), Reason: "the name has a broken %-escape"}
		}
		switch {
		case len(key) > quoteMax:
			return nil, &QueryError{Arg: shorten(key), Reason: "no report has a parameter of that name"}
		case key == "":
			return nil, &QueryError{Reason: fmt.Sprintf("an argument has no name (%s)", Quote(part))}
		case strings.Contains(rawKey, ";") || strings.Contains(rawValue, ";"):
			return nil, &QueryError{Arg: key, Reason: `contains ";": separate arguments with "&" and escape a ";" in a value as %3B`}
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, &QueryError{Arg: key, Reason: fmt.Sprintf("value %s has a broken %%-escape", Quote(rawValue))}
		}
		if len(value) > maxQueryValue {
			return nil, &QueryError{Arg: key, Reason: fmt.Sprintf("value of %d bytes, at most %d", len(value), maxQueryValue)}
		}
		if _, dup := args[key]; dup {
			return nil, &QueryError{Arg: key, Reason: "given twice, want once"}
		}
		args[key] = value
	}
	return args, nil
}
