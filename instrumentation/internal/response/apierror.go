package response

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"

	"github.com/aiusage/aiusage/instrumentation/internal/jsonscan"
)

// errorJSON is the error object of both providers: Groq/OpenAI
// {"message","type","code"[,"status_code"]} and Gemini (google.rpc.Status)
// {"code":429,"message","status","details":[...]}.
type errorJSON struct {
	Message    string     `json:"message"`
	Type       string     `json:"type"`
	Code       flexString `json:"code"`
	Status     string     `json:"status"`
	StatusCode int        `json:"status_code"` // Groq in-band stream errors
	Details    []struct {
		Type       string `json:"@type"`
		Violations []struct {
			QuotaMetric     string `json:"quotaMetric"`
			QuotaID         string `json:"quotaId"`
			QuotaDimensions struct {
				Location string `json:"location"`
				Model    string `json:"model"`
			} `json:"quotaDimensions"`
			QuotaValue flexString `json:"quotaValue"`
		} `json:"violations"`
		RetryDelay string `json:"retryDelay"`
	} `json:"details"`
}

// flexString takes a JSON string or any other scalar as text: Groq's error code is a
// string, Gemini's a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) || (len(b) > 0 && (b[0] == '{' || b[0] == '[')) {
		return nil
	}
	*f = flexString(b)
	return nil
}

const (
	typeQuotaFailure = "type.googleapis.com/google.rpc.QuotaFailure"
	typeRetryInfo    = "type.googleapis.com/google.rpc.RetryInfo"
)

// apiError converts the provider's error object; httpStatus is the response's status.
func (e *errorJSON) apiError(httpStatus int) *APIError {
	a := &APIError{Type: e.Type, Code: string(e.Code), Message: e.Message, Status: httpStatus}
	if a.Type == "" {
		a.Type = e.Status
	}
	if e.StatusCode > 0 {
		a.Status = e.StatusCode
	} else if n, err := strconv.Atoi(a.Code); err == nil && n >= 100 && n <= 599 {
		a.Status = n
	}
	for _, d := range e.Details {
		switch d.Type {
		case typeQuotaFailure:
			for _, v := range d.Violations {
				a.Quota = append(a.Quota, QuotaViolation{
					Metric:   v.QuotaMetric,
					ID:       v.QuotaID,
					Value:    string(v.QuotaValue),
					Model:    v.QuotaDimensions.Model,
					Location: v.QuotaDimensions.Location,
				})
			}
		case typeRetryInfo:
			if d, err := time.ParseDuration(d.RetryDelay); err == nil && d > 0 {
				a.RetryDelay = d
			}
		}
	}
	if a.Status == http.StatusTooManyRequests || a.Type == "RESOURCE_EXHAUSTED" {
		a.Resource, a.Window = a.limit()
		if a.RetryDelay == 0 {
			a.RetryDelay = retryIn(a.Message)
		}
	}
	return a
}

// retryIn reads Groq's "Please try again in 1m26.4s." from a 429 message: finer than the
// whole seconds of its retry-after header.
func retryIn(msg string) time.Duration {
	_, after, ok := strings.Cut(msg, "try again in ")
	if !ok {
		return 0
	}
	tok, _, _ := strings.Cut(after, " ")
	d, err := time.ParseDuration(strings.TrimRight(tok, ".,;"))
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// limit names the exhausted limit of a 429: Groq's type and message ("on requests per day
// (RPD)", "on tokens per minute (TPM)", "on audio seconds per hour (ASH)"), or Gemini's first quota violation
// (GenerateRequestsPerDayPerProjectPerModel-FreeTier).
func (a *APIError) limit() (resource, window string) {
	switch a.Type {
	case semconv.ResourceRequests, semconv.ResourceTokens:
		resource = a.Type
	}
	for _, l := range []struct{ abbr, resource, window string }{
		{"(RPD)", semconv.ResourceRequests, semconv.WindowDay},
		{"(RPM)", semconv.ResourceRequests, semconv.WindowMinute},
		{"(TPD)", semconv.ResourceTokens, semconv.WindowDay},
		{"(TPM)", semconv.ResourceTokens, semconv.WindowMinute},
		{"(ASH)", semconv.ResourceAudioSeconds, semconv.WindowHour},
		{"(ASD)", semconv.ResourceAudioSeconds, semconv.WindowDay},
		{"ASD limit", semconv.ResourceAudioSeconds, semconv.WindowDay},
		{"ASH limit", semconv.ResourceAudioSeconds, semconv.WindowHour},
	} {
		if strings.Contains(a.Message, l.abbr) {
			if resource == "" {
				resource = l.resource
			}
			return resource, l.window
		}
	}
	if len(a.Quota) > 0 {
		v := a.Quota[0]
		switch {
		case strings.Contains(v.ID, "Requests"), strings.HasSuffix(v.Metric, "_requests"):
			resource = semconv.ResourceRequests
		case strings.Contains(v.ID, "Tokens"), strings.Contains(v.Metric, "token"):
			resource = semconv.ResourceTokens
		}
		switch {
		case strings.Contains(v.ID, "PerDay"):
			window = semconv.WindowDay
		case strings.Contains(v.ID, "PerMinute"):
			window = semconv.WindowMinute
		}
	}
	return resource, window
}

// apiError reads the value of an "error" field.
func (p *Parser) apiError(v []byte) error {
	if jsonscan.IsNull(v) {
		return nil
	}
	var e errorJSON
	if len(v) > 0 && v[0] == '"' { // some proxies send {"error":"message"}
		msg, err := jsonscan.String(v)
		e.Message = msg
		p.res.Error = e.apiError(p.status)
		return err
	}
	err := json.Unmarshal(v, &e)
	if !isSyntax(err) {
		p.res.Error = e.apiError(p.status)
	}
	return err
}

// inbandError handles the data of an `event: error` SSE event: the call failed although
// the HTTP status was 200.
func (p *Parser) inbandError(d []byte) {
	var env struct {
		Error *errorJSON `json:"error"`
	}
	err := json.Unmarshal(d, &env)
	if err == nil && env.Error == nil {
		var bare errorJSON
		if json.Unmarshal(d, &bare) == nil && (bare.Message != "" || bare.Type != "" || bare.Code != "") {
			env.Error = &bare
		}
	}
	if env.Error == nil {
		env.Error = &errorJSON{}
		if err != nil {
			p.fail(syntaxReason(err))
		}
	}
	p.res.Error = env.Error.apiError(p.status)
}
