package ratelimit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/aiusage/aiusage/instrumentation/quota"
)

// statesDoc is the JSON document Handler serves; the quota package documents it.
type statesDoc struct {
	GeneratedAt time.Time   `json:"generated_at"`
	States      []stateJSON `json:"states"`
}

// stateJSON is one quota.State as app UIs read it. The field names are part of the API.
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
	// The forecast: consumption per second, whether the window runs out before it
	// resets, and when.
	RatePerSecond   float64   `json:"rate_per_s"`
	Forecast        string    `json:"forecast"`
	ExhaustsAt      time.Time `json:"exhausts_at,omitzero"`
	ForecastDisplay string    `json:"forecast_display,omitempty"`
}

// Handler serves States as JSON (GET or HEAD), for an app's UI to poll: the
// document the quota package documents.
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

func document(now time.Time, states []quota.State) statesDoc {
	doc := statesDoc{GeneratedAt: now.UTC(), States: make([]stateJSON, 0, len(states))}
	for _, s := range states {
		doc.States = append(doc.States, stateJSON{
			Provider:    string(s.Provider),
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
			Display:     quota.Display(s),

			RatePerSecond:   s.Rate,
			Forecast:        s.Forecast,
			ExhaustsAt:      s.ExhaustsAt.UTC(),
			ForecastDisplay: quota.DisplayForecast(s, now),
		})
	}
	return doc
}
