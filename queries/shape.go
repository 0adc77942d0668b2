package queries

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// jsonShape is the JSON a VARCHAR parameter must hold, in the notation of DuckDB's
// from_json: ["elem"] a list, {"key": shape} an object, "TYPE" a scalar. DuckDB turns
// what does not fit into NULL without a word, so the value is checked against the shape
// before the query sees it.
type jsonShape struct {
	scalar string // VARCHAR, BIGINT, INTEGER, DOUBLE or BOOLEAN; "" for a list or object
	elem   *jsonShape
	fields map[string]*jsonShape // an object's keys; nil unless an object
}

// parseShape reads a from_json structure.
func parseShape(text string) (*jsonShape, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("JSON shape %s is not JSON: %w", text, err)
	}
	return shapeOf(v)
}

func shapeOf(v any) (*jsonShape, error) {
	switch x := v.(type) {
	case string:
		switch x {
		case "VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN":
			return &jsonShape{scalar: x}, nil
		}
		return nil, fmt.Errorf("JSON shape: type %q is not one of VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN", x)
	case []any:
		if len(x) != 1 {
			return nil, errors.New("JSON shape: a list names its element's shape once, e.g. [\"VARCHAR\"]")
		}
		elem, err := shapeOf(x[0])
		if err != nil {
			return nil, err
		}
		return &jsonShape{elem: elem}, nil
	case map[string]any:
		if len(x) == 0 {
			return nil, errors.New("JSON shape: an object names its keys")
		}
		s := &jsonShape{fields: map[string]*jsonShape{}}
		for k, fv := range x {
			f, err := shapeOf(fv)
			if err != nil {
				return nil, err
			}
			s.fields[k] = f
		}
		return s, nil
	}
	return nil, fmt.Errorf("JSON shape: %v is not a type name, a list or an object", v)
}

// decodeJSON reads text as exactly one JSON value, numbers kept as written.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("is not JSON (%s)", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("is not JSON (more than one value)")
	}
	return v, nil
}

func jsonErr(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	return err.Error() // encoding/json's syntax errors name the character, not the input
}

// match reports whether v, decoded by decodeJSON, has the shape; null fits anywhere
// (DuckDB reads it as NULL). It is stricter than from_json, which reads "12" as a
// number and drops keys it does not know: a typo in a key must not silently drop a limit.
func (s *jsonShape) match(v any, path string) error {
	if v == nil {
		return nil
	}
	at := func(format string, a ...any) error {
		where := path
		if where == "" {
			where = "the top level"
		}
		return fmt.Errorf("at %s: %s", where, fmt.Sprintf(format, a...))
	}
	switch {
	case s.elem != nil:
		list, ok := v.([]any)
		if !ok {
			return at("want a list")
		}
		for i, e := range list {
			if err := s.elem.match(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case s.fields != nil:
		obj, ok := v.(map[string]any)
		if !ok {
			return at("want an object")
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, known := s.fields[k]
			if !known {
				return at("unknown key %s (known: %s)", Quote(k), strings.Join(slices.Sorted(maps.Keys(s.fields)), ", "))
			}
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if err := f.match(obj[k], sub); err != nil {
				return err
			}
		}
		return nil
	}
	switch s.scalar {
	case "VARCHAR":
		if _, ok := v.(string); !ok {
			return at("want a string")
		}
	case "BOOLEAN":
		if _, ok := v.(bool); !ok {
			return at("want true or false")
		}
	case "BIGINT", "INTEGER":
		bits := 64
		if s.scalar == "INTEGER" {
			bits = 32
		}
		n, ok := v.(json.Number)
		if !ok {
			return at("want a whole number")
		}
		if _, err := strconv.ParseInt(n.String(), 10, bits); err != nil {
			return at("want a whole number of at most %d bits", bits)
		}
	case "DOUBLE":
		n, ok := v.(json.Number)
		if !ok {
			return at("want a number")
		}
		if _, err := n.Float64(); err != nil {
			return at("want a finite number")
		}
	}
	return nil
}
