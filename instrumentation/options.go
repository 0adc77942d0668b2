package instrumentation

import (
	"fmt"
	"strings"

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
			return fmt.Errorf("WithHost: provider %q is not one of %q, %q", p, Groq, Gemini)
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
				return fmt.Errorf("WithLimits: limit %d: provider %q is not one of %q, %q", n, l.Provider, Groq, Gemini)
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
