// Package cassette reads recorded provider traffic in the vcrpy YAML format and replays it
// as an http.RoundTripper, so tests can drive real SDKs and the instrumentation with the
// exact status, headers and wire bytes a provider once sent.
//
// The recordings live outside the repository, in ../shared/fixtures/cassettes beside the
// repository root; Dir finds them and reports when they are absent so tests can skip.
package cassette

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Cassette is one recording: a sequence of HTTP exchanges in the order they happened.
type Cassette struct {
	Name         string // file name without directory and extension
	Interactions []Interaction
}

// Interaction is one recorded HTTP exchange.
type Interaction struct {
	Request  Request
	Response Response
}

// Request is a recorded HTTP request.
type Request struct {
	Method string
	URI    string
	Header http.Header
	Body   []byte
}

// Response is a recorded HTTP response. Body holds the bytes as they were on the wire: when
// Header has Content-Encoding gzip, Body is still gzip-compressed.
type Response struct {
	Status  int
	Message string // reason phrase, e.g. "OK"
	Header  http.Header
	Body    []byte
}

// Dir returns the shared cassette folder, <repo root>/../shared/fixtures/cassettes, where the
// repo root is the nearest folder at or above the working directory holding go.mod. It
// reports false when there is no such folder (CI without the shared fixtures).
func Dir() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			cassettes := filepath.Join(filepath.Dir(dir), "shared", "fixtures", "cassettes")
			if fi, err := os.Stat(cassettes); err == nil && fi.IsDir() {
				return cassettes, true
			}
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Files returns the paths of every .yaml cassette under dir, sorted.
func Files(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list cassettes in %q: %w", dir, err)
	}
	sort.Strings(paths)
	return paths, nil
}

// Load reads the cassette file at path.
func Load(path string) (*Cassette, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cassette: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	c, err := Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("cassette %q: %w", path, err)
	}
	return c, nil
}

// Parse decodes vcrpy YAML, or Ruby VCR's (http_interactions, lower-case methods, bodies
// as {encoding, string} or {encoding, base64_string}). Bodies may be plain strings,
// `!!binary` base64 (kept as the decoded wire bytes) or, as pydantic-ai records them,
// YAML under parsed_body (re-encoded as JSON).
func Parse(name string, data []byte) (*Cassette, error) {
	type interaction = struct {
		Request struct {
			Method     string              `yaml:"method"`
			URI        string              `yaml:"uri"`
			Headers    map[string][]string `yaml:"headers"`
			Body       yaml.Node           `yaml:"body"`
			ParsedBody yaml.Node           `yaml:"parsed_body"`
		} `yaml:"request"`
		Response struct {
			Status struct {
				Code    int    `yaml:"code"`
				Message string `yaml:"message"`
			} `yaml:"status"`
			Headers    map[string][]string `yaml:"headers"`
			Body       yaml.Node           `yaml:"body"`
			ParsedBody yaml.Node           `yaml:"parsed_body"`
		} `yaml:"response"`
	}
	var f struct {
		Interactions     []interaction `yaml:"interactions"`
		HTTPInteractions []interaction `yaml:"http_interactions"` // Ruby VCR
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	if len(f.Interactions) == 0 {
		f.Interactions = f.HTTPInteractions
	}
	c := &Cassette{Name: name, Interactions: make([]Interaction, 0, len(f.Interactions))}
	for i, in := range f.Interactions {
		reqBody, err := body(&in.Request.Body, &in.Request.ParsedBody)
		if err != nil {
			return nil, fmt.Errorf("interactions[%d].request: %w", i, err)
		}
		respBody, err := body(&in.Response.Body, &in.Response.ParsedBody)
		if err != nil {
			return nil, fmt.Errorf("interactions[%d].response: %w", i, err)
		}
		if in.Response.Status.Code < 100 || in.Response.Status.Code > 999 {
			return nil, fmt.Errorf("interactions[%d].response.status.code: %d is not an HTTP status", i, in.Response.Status.Code)
		}
		c.Interactions = append(c.Interactions, Interaction{
			Request: Request{
				Method: strings.ToUpper(in.Request.Method),
				URI:    in.Request.URI,
				Header: header(in.Request.Headers),
				Body:   reqBody,
			},
			Response: Response{
				Status:  in.Response.Status.Code,
				Message: in.Response.Status.Message,
				Header:  header(in.Response.Headers),
				Body:    respBody,
			},
		})
	}
	return c, nil
}

// body returns a recorded body: `body: '...'`, `body: {string: ...}` (either possibly
// `!!binary`), or `parsed_body:` re-encoded as JSON.
func body(raw, parsed *yaml.Node) ([]byte, error) {
	if parsed.Kind != 0 {
		var v any
		if err := parsed.Decode(&v); err != nil {
			return nil, fmt.Errorf("parsed_body: %w", err)
		}
		v, err := jsonable(v, "parsed_body")
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("parsed_body: encode json: %w", err)
		}
		return b, nil
	}
	n := raw
	if n.Kind == yaml.MappingNode {
		n = nil
		for i := 0; i+1 < len(raw.Content); i += 2 {
			switch raw.Content[i].Value {
			case "string":
				n = raw.Content[i+1]
			case "base64_string": // Ruby VCR's binary bodies
				n = raw.Content[i+1]
				n.Tag = "!!binary"
			}
		}
		if n == nil {
			return nil, errors.New("body: mapping without a string key")
		}
	}
	switch {
	case n.Kind == 0 || n.Tag == "!!null":
		return nil, nil
	case n.Kind != yaml.ScalarNode:
		return nil, fmt.Errorf("body: line %d: want a string, got YAML kind %d", n.Line, n.Kind)
	case n.Tag == "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, fmt.Errorf("body: line %d: !!binary: %w", n.Line, err)
		}
		return b, nil
	default:
		return []byte(n.Value), nil
	}
}

// jsonable converts YAML-decoded maps with non-string keys into JSON-encodable ones.
func jsonable(v any, path string) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := jsonable(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			ks := fmt.Sprint(k)
			c, err := jsonable(e, path+"."+ks)
			if err != nil {
				return nil, err
			}
			m[ks] = c
		}
		return m, nil
	case []any:
		for i, e := range t {
			c, err := jsonable(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	default:
		return v, nil
	}
}

func header(m map[string][]string) http.Header {
	h := make(http.Header, len(m))
	for k, vs := range m {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	return h
}

// Decoded returns the body with its Content-Encoding undone (gzip; identity or none as is).
func (r Response) Decoded() ([]byte, error) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return r.Body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(r.Body))
		if err != nil {
			return nil, fmt.Errorf("gunzip response body: %w", err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("gunzip response body: %w", err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("response body: unsupported Content-Encoding %q", enc)
	}
}
