package instrumentation

import (
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aiusage/aiusage/instrumentation/pricing"
	"github.com/aiusage/aiusage/instrumentation/quota"
)

// An Option configures an Instrumentation.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// config is the result of applying every Option; New copies what it needs.
type config struct {
	tracerProvider  trace.TracerProvider
	meterProvider   metric.MeterProvider
	hosts           map[string]Provider
	prices          *pricing.Table
	limits          []quota.Limit
	alertThreshold  float64
	onAlert         func(quota.Alert)
	horizon         time.Duration // 0: the default; < 0: off
	guard           *quota.Guard  // nil: no guard
	clock           func() time.Time
	content         bool
	userIDOnMetrics bool
}

// WithTracerProvider sets the TracerProvider spans are created with.
// The default is the global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) error {
		if tp == nil {
			return fmt.Errorf("WithTracerProvider: provider is nil")
		}
		c.tracerProvider = tp
		return nil
	})
}

// WithMeterProvider sets the MeterProvider metrics are recorded with.
// The default is the global provider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) error {
		if mp == nil {
			return fmt.Errorf("WithMeterProvider: provider is nil")
		}
		c.meterProvider = mp
		return nil
	})
}

// WithHost maps an extra host, with an optional port ("127.0.0.1:8080",
// "llm-proxy.internal"), to a provider, for proxies, emulators and tests.
// Requests to it are recognised by the same paths as the provider's own host.
func WithHost(hostport string, p Provider) Option {
	return optionFunc(func(c *config) error {
		if hostport == "" || strings.ContainsAny(hostport, "/ ") {
			return fmt.Errorf("WithHost: hostport %q is not a host[:port]", hostport)
		}
		if _, ok := dialects[p]; !ok {
			return fmt.Errorf("WithHost: provider %q is not one of %q, %q, %q", p, Groq, Gemini, VertexAI)
		}
		c.hosts[strings.ToLower(hostport)] = p
		return nil
	})
}

// WithPrices sets the price table costs are computed from. The default is
// pricing.Default(), the table embedded in the library.
func WithPrices(t *pricing.Table) Option {
	return optionFunc(func(c *config) error {
		if t == nil {
			return fmt.Errorf("WithPrices: table is nil")
		}
		c.prices = t
		return nil
	})
}

// WithLimits sets the quota limits of providers that send no rate-limit
// headers (Gemini), so that usage is estimated against them. New fails on a
// limit that does not Validate or names a provider the instrumentation does
// not know.
func WithLimits(limits ...quota.Limit) Option {
	return optionFunc(func(c *config) error {
		for n, l := range limits {
			if err := l.Validate(); err != nil {
				return fmt.Errorf("WithLimits: limit %d: %w", n, err)
			}
			if _, ok := dialects[l.Provider]; !ok {
				return fmt.Errorf("WithLimits: limit %d: provider %q is not one of %q, %q, %q", n, l.Provider, Groq, Gemini, VertexAI)
			}
		}
		c.limits = append(c.limits, limits...)
		return nil
	})
}

// WithQuotaAlert calls fn once when the utilization of a quota window crosses
// threshold (0 < threshold <= 1; 0.9 is 90 %) upward, and again only after it
// has dropped below. fn runs on the goroutine that recorded the call: keep it short.
func WithQuotaAlert(threshold float64, fn func(quota.Alert)) Option {
	return optionFunc(func(c *config) error {
		if !(threshold > 0 && threshold <= 1) {
			return fmt.Errorf("WithQuotaAlert: threshold %v is not in (0, 1]", threshold)
		}
		if fn == nil {
			return fmt.Errorf("WithQuotaAlert: callback is nil")
		}
		c.alertThreshold, c.onAlert = threshold, fn
		return nil
	})
}

// WithExhaustionHorizon sets how far ahead a predicted exhaustion fires the
// WithQuotaAlert callback (quota.Alert with Reason quota.AlertForecast): when, at the
// current consumption rate, a quota window runs out within horizon and before it
// resets, the callback is called once for that window. The default is 5 minutes;
// 0 turns forecast alerts off.
func WithExhaustionHorizon(horizon time.Duration) Option {
	return optionFunc(func(c *config) error {
		switch {
		case horizon < 0:
			return fmt.Errorf("WithExhaustionHorizon: horizon %s is negative", horizon)
		case horizon == 0:
			c.horizon = -1
		default:
			c.horizon = horizon
		}
		return nil
	})
}

// WithQuotaGuard turns on the quota guard, which CHANGES WHAT THE APP SEES: the
// transport refuses, without sending it, a call the provider has just said cannot
// succeed, and returns a *QuotaExhaustedError (test with errors.As) carrying when the
// quota has room again, instead of the provider's 429. It refuses while Groq's headers
// said no request is left until the bucket gives one back, or while the retry delay of
// a 429 (Groq's retry-after, Gemini's RetryInfo) is running; with g.Estimates also
// while a locally counted estimate (WithLimits) is used up. A reading older than
// g.MaxAge (default quota.DefaultGuardMaxAge) never refuses. Each refusal is recorded
// as a span with error.type "quota_guard". SDKs that retry failed connections
// (openai-go: twice by default) retry a refused call, and are refused again. Off by
// default.
func WithQuotaGuard(g quota.Guard) Option {
	return optionFunc(func(c *config) error {
		if g.MaxAge < 0 {
			return fmt.Errorf("WithQuotaGuard: MaxAge %s is negative", g.MaxAge)
		}
		c.guard = &g
		return nil
	})
}

// WithQuotaClock sets the clock quota windows, forecasts and the quota guard read,
// for tests and replays that run on another time; spans are timed by the real clock.
// The default is time.Now.
func WithQuotaClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return fmt.Errorf("WithQuotaClock: clock is nil")
		}
		c.clock = now
		return nil
	})
}

// WithContent opts in to recording content: the prompt (gen_ai.input.messages,
// gen_ai.system_instructions; text parts only, images and files by type) and
// the provider's error messages (span status). Without it no prompt, response
// or error text is recorded. Response text is not recorded either way.
func WithContent() Option {
	return optionFunc(func(c *config) error { c.content = true; return nil })
}

// WithUserIDOnMetrics adds the attributed user.id to metric points. Off by
// default: one time series per user can overwhelm a metrics backend.
func WithUserIDOnMetrics() Option {
	return optionFunc(func(c *config) error { c.userIDOnMetrics = true; return nil })
}
