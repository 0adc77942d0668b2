package formdata

import (
	"bytes"
	"io"
	"mime/multipart"
	"strings"
	"testing"
)

// form builds a multipart body with the given fields around a file part, as an SDK
// would, and returns it with its Content-Type.
func form(t testing.TB, before, after map[string]string, file []byte, boundary string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	write := func(fields map[string]string) {
		for _, k := range []string{"model", "response_format", "language", "temperature"} {
			if v, ok := fields[k]; ok {
				if err := w.WriteField(k, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	write(before)
	if file != nil {
		fw, err := w.CreateFormFile("file", "speech.wav")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	write(after)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

func scan(t testing.TB, body []byte, contentType string, chunk int) (*Scanner, []byte) {
	t.Helper()
	var file bytes.Buffer
	s, ok := New(contentType, []string{"model", "response_format"}, "file", &file)
	if !ok {
		t.Fatalf("New(%q) refused", contentType)
	}
	for len(body) > 0 {
		n := min(chunk, len(body))
		s.Write(body[:n])
		body = body[n:]
	}
	return s, file.Bytes()
}

func TestScanner(t *testing.T) {
	// File bytes that look like the delimiter's start, a CRLF, a lone dash.
	tricky := []byte("RIFF\r\n--not-the-boundary\r\n-\r\r\n--Y\r\n-")
	big := bytes.Repeat([]byte("0123456789abcdef\r\n-"), 5000)
	for _, tc := range []struct {
		name          string
		before, after map[string]string
		file          []byte
		boundary      string
		model         string
		format        string
		hasFormat     bool
	}{
		{name: "model first", before: map[string]string{"model": "whisper-large-v3"}, file: []byte("RIFFdata"), model: "whisper-large-v3"},
		{name: "model after the file", after: map[string]string{"model": "whisper-large-v3-turbo", "response_format": "verbose_json"}, file: big, model: "whisper-large-v3-turbo", format: "verbose_json", hasFormat: true},
		{name: "file bytes like a delimiter", before: map[string]string{"model": "m"}, file: tricky, boundary: "X", model: "m"},
		{name: "empty file", before: map[string]string{"model": "m", "response_format": "text"}, file: []byte{}, model: "m", format: "text", hasFormat: true},
		{name: "no file", before: map[string]string{"model": "m"}, model: "m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := form(t, tc.before, tc.after, tc.file, tc.boundary)
			for _, chunk := range []int{len(body), 4096, 33, 2, 1} {
				s, file := scan(t, body, ct, chunk)
				if !s.Complete() {
					t.Fatalf("chunk %d: form not complete", chunk)
				}
				if got, ok := s.Field("model"); got != tc.model || ok != (tc.model != "") {
					t.Fatalf("chunk %d: model %q %v, want %q", chunk, got, ok, tc.model)
				}
				if got, ok := s.Field("response_format"); got != tc.format || ok != tc.hasFormat {
					t.Fatalf("chunk %d: response_format %q %v, want %q %v", chunk, got, ok, tc.format, tc.hasFormat)
				}
				if !bytes.Equal(file, tc.file) {
					t.Fatalf("chunk %d: file %d bytes, want %d", chunk, len(file), len(tc.file))
				}
				if want := 0; tc.file != nil {
					if s.Files() != 1 {
						t.Fatalf("files %d", s.Files())
					}
				} else if s.Files() != want {
					t.Fatalf("files %d, want 0", s.Files())
				}
			}
		})
	}
}

func TestNotAForm(t *testing.T) {
	for _, ct := range []string{"application/json", "multipart/form-data", "multipart/mixed; boundary=x", ""} {
		if _, ok := New(ct, nil, "file", io.Discard); ok {
			t.Errorf("New(%q) accepted", ct)
		}
	}
}

func TestCutShort(t *testing.T) {
	body, ct := form(t, map[string]string{"model": "m"}, nil, []byte(strings.Repeat("a", 1000)), "")
	s, _ := scan(t, body[:len(body)-10], ct, 100)
	if s.Complete() {
		t.Fatal("a body cut short is complete")
	}
	if got, _ := s.Field("model"); got != "m" {
		t.Fatalf("model %q", got)
	}
}

func TestHugeHeaders(t *testing.T) {
	body := "--b\r\nContent-Disposition: form-data; name=\"model\"\r\nX-Pad: " + strings.Repeat("x", MaxHeader) + "\r\n\r\nm\r\n--b--\r\n"
	s, _ := scan(t, []byte(body), "multipart/form-data; boundary=b", 512)
	if s.Complete() || len(s.header) > MaxHeader {
		t.Fatalf("complete %v, kept %d header bytes", s.Complete(), len(s.header))
	}
}

// FuzzScanner: on any body, the scanner keeps its bounds; on a form mime/multipart can
// read whole, it finds the same fields and file bytes, however the body is split.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("m"), []byte("RIFF\r\n--b"), []byte("b"), uint16(3))
	f.Add([]byte("whisper-large-v3"), bytes.Repeat([]byte("\r\n-"), 100), []byte("----WebKitFormBoundary7MA4YWxkTrZu0gW"), uint16(1))
	f.Add([]byte(""), []byte(""), []byte("x"), uint16(64))
	f.Fuzz(func(t *testing.T, model, file, boundary []byte, chunk uint16) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if w.SetBoundary(string(boundary)) != nil {
			return
		}
		w.WriteField("model", string(model))
		fw, _ := w.CreateFormFile("file", "a.wav")
		fw.Write(file)
		w.Close()
		body := buf.Bytes()
		s, got := scan(t, body, w.FormDataContentType(), int(chunk%700)+1)
		if len(s.header) > MaxHeader || len(s.value) > MaxValue || len(s.hold) >= len(s.delim) {
			t.Fatalf("bounds: header %d value %d hold %d", len(s.header), len(s.value), len(s.hold))
		}
		r := multipart.NewReader(bytes.NewReader(body), string(boundary))
		mf, err := r.ReadForm(1 << 20)
		if err != nil {
			return
		}
		if !s.Complete() {
			t.Fatal("not complete")
		}
		if want := mf.Value["model"][0]; len(want) <= MaxValue {
			if v, _ := s.Field("model"); v != want {
				t.Fatalf("model %q, want %q", v, want)
			}
		}
		fh := mf.File["file"][0]
		rf, _ := fh.Open()
		want, _ := io.ReadAll(rf)
		if !bytes.Equal(got, want) {
			t.Fatalf("file %q, want %q", got, want)
		}
	})
}
