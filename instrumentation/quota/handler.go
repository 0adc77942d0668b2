package quota

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// statesDoc is the JSON document Handler serves; see the package documentation.
type statesDoc struct {
	GeneratedAt time.Time   `json:"generated_at"`
	States      []stateJSON `json:"states"`
}

// stateJSON is one State as app UIs read it. The field names are part of the API.
type stateJSON struct {
	Provider    string    `json:"provider"`
	Model       string    `json:"model"`
	Resource    string    `json:"resource"`
	Window      string    `json:"window"`
	Source      string    `json:"source"`
	Limit       int64     `json:"limit"`
	Remaining   int64     `json:"remaining"`
	Used        int64     `json:"used"`
	Utilization float64   `json:"utilization"`
	ResetAt     time.Time `json:"reset_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
	Display     string    `json:"display"`
}

// Handler serves States as JSON (GET or HEAD), for an app's UI to poll.
func (t *Tracker) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := json.MarshalIndent(document(t.now(), t.States()), "", "  ")
		if err != nil { // only plain values: cannot happen, but never serve half a document
			http.Error(w, "encode quota states", http.StatusInternalServerError)
			return
		}
		body = append(body, '\n')
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body) //nolint:errcheck // the client went away; nothing to do
	})
}

func document(now time.Time, states []State) statesDoc {
	doc := statesDoc{GeneratedAt: now.UTC(), States: make([]stateJSON, 0, len(states))}
	for _, s := range states {
		doc.States = append(doc.States, stateJSON{
			Provider:    s.Provider,
			Model:       s.Model,
			Resource:    s.Resource,
			Window:      s.Window,
			Source:      s.Source,
			Limit:       s.Limit,
			Remaining:   s.Remaining,
			Used:        s.Limit - s.Remaining,
			Utilization: s.Utilization,
			ResetAt:     s.ResetAt.UTC(),
			UpdatedAt:   s.UpdatedAt.UTC(),
			Display:     Display(s),
		})
	}
	return doc
}

// providerNames are how UIs name the providers.
var providerNames = map[string]string{
	semconv.ProviderGroq:   "Groq",
	semconv.ProviderGemini: "Gemini",
}

// windowNames say a window in words.
var windowNames = map[string]string{
	semconv.WindowDay:    "today",
	semconv.WindowMinute: "this minute",
}

// Display is the one-line form of s for a UI header, remaining of limit:
// "Groq: 13,950 / 14,400 requests today"; estimates say so.
func Display(s State) string {
	name := providerNames[s.Provider]
	if name == "" {
		name = s.Provider
	}
	window := windowNames[s.Window]
	if window == "" {
		window = "per " + s.Window
	}
	line := name + ": " + grouped(s.Remaining) + " / " + grouped(s.Limit) + " " + s.Resource + " " + window
	if s.Source == semconv.SourceEstimate {
		line += " (estimate)"
	}
	return line
}

// grouped writes n with thousands separators: 14400 -> "14,400".
func grouped(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	out := make([]byte, 0, len(digits)+len(digits)/3)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	return sign + string(out)
}
