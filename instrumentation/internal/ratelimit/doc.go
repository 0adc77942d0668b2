// Package ratelimit keeps the quota state behind package quota: it reads the
// rate-limit headers providers send (Groq's x-ratelimit-* set), counts calls against
// the limits the app configured where they send none (Gemini), fires the alerts, and
// serves the states as the JSON document package quota describes.
package ratelimit
