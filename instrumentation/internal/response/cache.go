package response

import (
	"bytes"
	"strings"

	"github.com/aiusage/aiusage/instrumentation/internal/intern"
	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// cachedContentField reads one field of the cachedContents resource that creating an
// explicit cache returns: {"name", "model", "usageMetadata": {"totalTokenCount"}, ...}.
// Creating a cache is billed as input at the model's standard input rate for
// totalTokenCount tokens. The storage the cache then costs per token-hour is not in the
// response, and ends when the app deletes the cache or it expires: it is not recorded.
func (p *Parser) cachedContentField(k, v []byte) error {
	switch string(k) {
	case "name":
		return firstString(&p.res.ID, v)
	case "model":
		// "models/gemini-2.5-flash" (Gemini API) or
		// "projects/p/locations/l/publishers/google/models/gemini-2.5-flash" (Vertex AI).
		if p.res.Model != "" {
			return nil
		}
		m, err := modelName(v)
		p.res.Model = m
		return err
	case "usageMetadata":
		if jsonscan.IsNull(v) {
			return nil
		}
		r := &p.scratch
		*r = report{}
		n, err := jsonscan.CountFields(v, func(k, _ []byte) *int64 {
			if string(k) == "totalTokenCount" {
				return &r.reported.Total
			}
			return nil
		})
		if n > 0 {
			r.billed.InputTokens = r.reported.Total
			r.apply(&p.res)
		}
		return err
	case "error":
		return p.apiError(v)
	}
	return nil
}

var modelsSlash = []byte("models/")

// modelName decodes a model resource name, the JSON string v, to the model's own name:
// what follows the last "models/" ("models/gemini-2.5-flash",
// "projects/p/locations/l/publishers/google/models/gemini-2.5-flash"); null is "".
func modelName(v []byte) (string, error) {
	if raw, ok := jsonscan.Plain(v); ok {
		if i := bytes.LastIndex(raw, modelsSlash); i >= 0 {
			raw = raw[i+len(modelsSlash):]
		}
		return intern.Bytes(raw), nil
	}
	s, err := jsonscan.String(v)
	if i := strings.LastIndex(s, "models/"); i >= 0 {
		s = s[i+len("models/"):]
	}
	return s, err
}
