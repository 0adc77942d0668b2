package instrumentation

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestJSONFields(t *testing.T) {
	tests := []struct {
		body   string
		model  string
		stream bool
		tier   string
	}{
		{`{"model":"llama-3.1-8b-instant","stream":true}`, "llama-3.1-8b-instant", true, ""},
		{`{"messages":[{"role":"user","content":"say \"model\": \"x\" {["}],"model":"openai/gpt-oss-120b","stream":false}`, "openai/gpt-oss-120b", false, ""},
		{` { "stream" : true , "model" : "a\u002fb" } `, "a/b", true, ""},
		{`{"nested":{"model":"inner","stream":true},"model":"outer"}`, "outer", false, ""},
		{`{"n":1.5e3,"ok":null,"arr":[1,[2,{"model":"x"}]],"model":"m"}`, "m", false, ""},
		{`{"model":42,"stream":"true"}`, "", false, ""},
		{`{"model":"m","stream":tru`, "m", false, ""},
		{`{"model":"unterminated`, "", false, ""},
		{`[{"model":"m"}]`, "", false, ""},
		{``, "", false, ""},
		{`not json`, "", false, ""},
		// The service tier asked for, as Gemini (camelCase, as genai sends it, or
		// snake_case) and Groq write it.
		{`{"contents":[],"serviceTier":"flex"}`, "", false, "flex"},
		{`{"contents":[],"service_tier":"PRIORITY"}`, "", false, "priority"},
		{`{"model":"openai/gpt-oss-20b","service_tier":"on_demand"}`, "openai/gpt-oss-20b", false, "standard"},
		{`{"model":"openai/gpt-oss-20b","service_tier":"auto"}`, "openai/gpt-oss-20b", false, ""},
		{`{"serviceTier":"unspecified"}`, "", false, ""},
		{`{"nested":{"serviceTier":"flex"}}`, "", false, ""},
	}
	for _, tt := range tests {
		got := jsonFields([]byte(tt.body))
		if got.model != tt.model || got.stream != tt.stream || got.tier != tt.tier {
			t.Errorf("jsonFields(%s) = %+v; want %q, %v, %q", tt.body, got, tt.model, tt.stream, tt.tier)
		}
	}
}

// onceBody is a request body without GetBody, readable once.
type onceBody struct {
	r      io.Reader
	closed bool
}

func (b *onceBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *onceBody) Close() error               { b.closed = true; return nil }

func TestRequestFieldsKeepsBody(t *testing.T) {
	const body = `{"messages":[],"model":"llama-3.1-8b-instant","stream":true}`
	t.Run("GetBody", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "https://api.groq.com/openai/v1/chat/completions", strings.NewReader(body))
		f, replay, _ := requestFields(req, false)
		if f.model != "llama-3.1-8b-instant" || !f.stream || replay.body != nil {
			t.Fatalf("got %+v replay %v", f, replay.body != nil)
		}
		sent, _ := io.ReadAll(req.Body)
		if string(sent) != body {
			t.Errorf("body sent %q, want %q", sent, body)
		}
	})
	t.Run("read once", func(t *testing.T) {
		orig := &onceBody{r: strings.NewReader(body)}
		req, _ := http.NewRequest(http.MethodPost, "https://api.groq.com/openai/v1/chat/completions", orig)
		req.ContentLength = int64(len(body))
		f, replay, _ := requestFields(req, false)
		if f.model != "llama-3.1-8b-instant" || replay.body == nil || replay.getBody == nil {
			t.Fatalf("fields %+v, replay %+v", f, replay)
		}
		sent, _ := io.ReadAll(replay.body)
		again, _ := replay.getBody()
		resent, _ := io.ReadAll(again)
		if string(sent) != body || string(resent) != body {
			t.Errorf("body sent %q, resent %q, want %q", sent, resent, body)
		}
		_ = replay.body.Close()
		if !orig.closed {
			t.Error("original body not closed")
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("disk gone")
		orig := &onceBody{r: io.MultiReader(strings.NewReader(body[:10]), errReader{boom})}
		req, _ := http.NewRequest(http.MethodPost, "https://api.groq.com/openai/v1/chat/completions", orig)
		_, replay, _ := requestFields(req, false)
		sent, err := io.ReadAll(replay.body)
		if string(sent) != body[:10] || err != boom {
			t.Errorf("sent %q, %v; want %q, %v", sent, err, body[:10], boom)
		}
	})
}
