package instrumentation

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// uploadAudioBytes is the PCM data of the large upload: with its headers, the 25 MB
// Groq accepts. 16 kHz mono 16-bit, so 32,000 bytes a second.
const uploadAudioBytes = 25<<20 - 4<<10

// largeUpload returns a speech-to-text upload of a WAV with uploadAudioBytes of PCM
// data, made as it is read (so the app holds none of it), and its content type.
func largeUpload() (io.ReadCloser, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("model", "whisper-large-v3-turbo")
		fw, err := mw.CreateFormFile("file", "long.wav")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		var h []byte
		h = append(h, "RIFF"...)
		h = binary.LittleEndian.AppendUint32(h, 36+uploadAudioBytes)
		h = append(h, "WAVEfmt "...)
		h = binary.LittleEndian.AppendUint32(h, 16)
		h = binary.LittleEndian.AppendUint16(h, 1)
		h = binary.LittleEndian.AppendUint16(h, 1)
		h = binary.LittleEndian.AppendUint32(h, 16000)
		h = binary.LittleEndian.AppendUint32(h, 32000)
		h = binary.LittleEndian.AppendUint16(h, 2)
		h = binary.LittleEndian.AppendUint16(h, 16)
		h = append(h, "data"...)
		h = binary.LittleEndian.AppendUint32(h, uploadAudioBytes)
		if _, err := fw.Write(h); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte{0x10, 0x02}, 16<<10)
		for left := uploadAudioBytes; left > 0; left -= len(chunk) {
			if _, err := fw.Write(chunk[:min(len(chunk), left)]); err != nil {
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	return pr, mw.FormDataContentType()
}

// discardServer reads every request to its end and answers a transcription without
// a duration, so the duration must come from the upload.
func discardServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":" long"}`)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// sendLargeUpload sends one large upload through rt and reads the answer.
func sendLargeUpload(tb testing.TB, rt http.RoundTripper, url string) {
	body, ct := largeUpload()
	req, err := http.NewRequest(http.MethodPost, url+groqTranscriptionsPath, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		tb.Fatalf("upload: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// memoryUse is what one upload cost the process: the growth of its peak resident
// set over the resident set before (0 where /proc cannot say), and the heap bytes
// allocated.
type memoryUse struct {
	rssGrowth, allocated int64
	rssKnown             bool
}

// measureUpload sends one large upload through rt and measures it.
func measureUpload(tb testing.TB, rt http.RoundTripper, url string) memoryUse {
	runtime.GC()
	debug.FreeOSMemory()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	// Writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one.
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	rss0, ok0 := procStatus("VmRSS")
	sendLargeUpload(tb, rt, url)
	peak, ok1 := procStatus("VmHWM")
	runtime.ReadMemStats(&after)
	m := memoryUse{allocated: int64(after.TotalAlloc - before.TotalAlloc)}
	if reset && ok0 && ok1 {
		m.rssGrowth, m.rssKnown = peak-rss0, true
	}
	return m
}

// procStatus reads a size in bytes from /proc/self/status.
func procStatus(field string) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// TestLargeUploadStreams: a 25 MB upload streams through the transport while its
// duration is measured: the resident set grows less than 1 MB more than with the
// bare transport in the same run, and the heap allocations differ by less than 1 MB.
func TestLargeUploadStreams(t *testing.T) {
	srv := discardServer(t)
	h := newHarness(t, WithHost(hostOf(t, srv.URL), Groq))
	bare := http.DefaultTransport.(*http.Transport).Clone()
	inst := h.inst.Transport(http.DefaultTransport.(*http.Transport).Clone())
	// One warm-up each: connections, buffers and pools exist before measuring.
	sendLargeUpload(t, bare, srv.URL)
	sendLargeUpload(t, inst, srv.URL)
	base := measureUpload(t, bare, srv.URL)
	got := measureUpload(t, inst, srv.URL)
	t.Logf("25 MB upload: bare transport RSS +%d KB, %d KB allocated; instrumented RSS +%d KB, %d KB allocated",
		base.rssGrowth>>10, base.allocated>>10, got.rssGrowth>>10, got.allocated>>10)
	if d := got.allocated - base.allocated; d >= 1<<20 {
		t.Errorf("the transport allocated %d KB more than the bare one: it buffers the upload", d>>10)
	}
	if base.rssKnown && got.rssKnown && got.rssGrowth-base.rssGrowth >= 1<<20 {
		t.Errorf("resident set grew %d KB more than with the bare transport", (got.rssGrowth-base.rssGrowth)>>10)
	}
	spans := h.spans.GetSpans()
	wantAttrs(t, attrs(spans[len(spans)-1]), map[attribute.Key]any{
		semconv.GenAIRequestModel: "whisper-large-v3-turbo",
		semconv.UsageAudioSeconds: float64(uploadAudioBytes) / 32000,
	})
}

// BenchmarkLargeUpload sends 25 MB uploads through the bare transport and through the
// instrumentation's, reporting the resident set's growth per upload.
func BenchmarkLargeUpload(b *testing.B) {
	srv := discardServer(b)
	h := newHarness(b, WithHost(hostOf(b, srv.URL), Groq))
	for _, bm := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"bare", http.DefaultTransport.(*http.Transport).Clone()},
		{"instrumented", h.inst.Transport(http.DefaultTransport.(*http.Transport).Clone())},
	} {
		b.Run(bm.name, func(b *testing.B) {
			sendLargeUpload(b, bm.rt, srv.URL)
			b.SetBytes(uploadAudioBytes)
			var rss, alloc int64
			for b.Loop() {
				m := measureUpload(b, bm.rt, srv.URL)
				rss, alloc = max(rss, m.rssGrowth), alloc+m.allocated
			}
			b.ReportMetric(float64(rss)/(1<<10), "peak-rss-growth-KB")
			b.ReportMetric(float64(alloc)/float64(b.N)/(1<<10), "alloc-KB/op")
		})
	}
}
