// Package quota is the vocabulary of AI provider rate limits as the instrumentation
// tracks them: what a provider reports in response headers (Groq's x-ratelimit-* set:
// requests per day, tokens per minute), and, for providers that report nothing
// (Gemini), an estimate counted locally against the [Limit]s the app configures
// (instrumentation.WithLimits). The instrumentation keeps the latest [State] of every
// provider, model, resource and window (Instrumentation.Quota), calls back once with
// an [Alert] when a quota runs low (instrumentation.WithQuotaAlert), and serves the
// states as JSON for an app's UI (Instrumentation.QuotaHandler).
//
// Estimates count calls as this process sees them: other processes sharing the same
// project or key are invisible, so an estimate is a lower bound on real usage. A 429
// naming the quota it hit is the provider's word: the estimate shows that quota used
// up until its window ends, whatever was counted.
//
// # JSON served by Instrumentation.QuotaHandler
//
// A GET answers 200 with Content-Type application/json and this document; states are
// sorted by provider, model, resource, window and source, times are RFC 3339 in UTC:
//
//	{
//	  "generated_at": "2026-11-27T15:00:01.5Z",
//	  "states": [
//	    {
//	      "provider": "groq",                  // gen_ai.provider.name
//	      "model": "llama-3.1-8b-instant",
//	      "resource": "requests",              // requests | tokens
//	      "window": "1d",                      // 1d | 1m
//	      "source": "header",                  // header (provider said so) | estimate (counted here)
//	      "limit": 14400,
//	      "remaining": 13950,                  // an estimate goes below 0 when the count passes the limit
//	      "used": 450,                         // limit - remaining
//	      "utilization": 0.03125,              // used / limit
//	      "reset_at": "2026-11-27T15:02:59.56Z", // when the window is full again; absent when unknown
//	      "updated_at": "2026-11-27T15:00:00Z",  // last observation
//	      "display": "Groq: 13,950 / 14,400 requests today",
//	      "rate_per_s": 0.52,                  // consumption per second, smoothed (0: unknown)
//	      "forecast": "before_reset",          // exhausted | before_reset | not_before_reset | unknown
//	      "exhausts_at": "2026-11-27T15:02:40Z", // when it runs out at that rate; absent unless
//	                                           // exhausted (when seen used up) or before_reset
//	      "forecast_display": "runs out in 2m39s at the current rate" // absent when nothing to warn of
//	    }
//	  ]
//	}
package quota
