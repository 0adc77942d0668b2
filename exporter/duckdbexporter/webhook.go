package duckdbexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/aiusage/aiusage/internal/budget"
)

// WebhookConfig configures the budget webhook: a JSON POST per threshold crossing.
type WebhookConfig struct {
	// Endpoint is the http(s) URL notifications are POSTed to; empty turns the webhook off.
	// Nothing else is ever called: redirects are not followed.
	Endpoint string `mapstructure:"endpoint"`
	// Secret signs each notification (HMAC-SHA256, budget.SignatureHeader), so the
	// receiver can tell it came from this collector. Required with an endpoint.
	Secret configopaque.String `mapstructure:"secret"`
	// Timeout bounds one delivery attempt.
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxAttempts is how many times a notification is tried (a network error, a 5xx or
	// a 429 is tried again after 1 s, 2 s, 4 s, ...; another status is final).
	MaxAttempts int `mapstructure:"max_attempts"`
	// QueueSize is how many notifications may wait; beyond it they are dropped and
	// counted, so a dead receiver never holds anything else up.
	QueueSize int `mapstructure:"queue_size"`
}

// minWebhookSecret is the shortest secret accepted: a short HMAC key is guessable.
const minWebhookSecret = 16

func defaultWebhookConfig() WebhookConfig {
	return WebhookConfig{Timeout: 5 * time.Second, MaxAttempts: 4, QueueSize: 64}
}

func (w WebhookConfig) validate() []error {
	if w.Endpoint == "" {
		if w.Secret != "" {
			return []error{errors.New("budgets.webhook.secret: set without budgets.webhook.endpoint")}
		}
		return nil
	}
	var errs []error
	u, err := url.Parse(w.Endpoint)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("budgets.webhook.endpoint: not a URL: %w", err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("budgets.webhook.endpoint: %q is not an http or https URL", w.Endpoint))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("budgets.webhook.endpoint: %q has no host", w.Endpoint))
	case u.User != nil:
		errs = append(errs, errors.New("budgets.webhook.endpoint: must not hold credentials (user:password@); the secret signs each notification"))
	}
	if len(w.Secret) < minWebhookSecret {
		errs = append(errs, fmt.Errorf("budgets.webhook.secret: a secret of at least %d bytes is required with budgets.webhook.endpoint, to sign notifications (have %d)", minWebhookSecret, len(w.Secret)))
	}
	if w.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("budgets.webhook.timeout: %s must be positive", w.Timeout))
	}
	if w.MaxAttempts < 1 || w.MaxAttempts > 10 {
		errs = append(errs, fmt.Errorf("budgets.webhook.max_attempts: %d is not in 1..10", w.MaxAttempts))
	}
	if w.QueueSize < 1 || w.QueueSize > 10000 {
		errs = append(errs, fmt.Errorf("budgets.webhook.queue_size: %d is not in 1..10000", w.QueueSize))
	}
	return errs
}

// Outcomes of a webhook notification.
const (
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed"  // every attempt failed, or the receiver refused it
	deliveryDropped   = "dropped" // the queue was full
)

// webhook delivers budget notifications from its own goroutine: enqueue never waits.
type webhook struct {
	cfg        WebhookConfig
	client     *http.Client
	logger     *zap.Logger
	queue      chan budget.Notification
	deliveries metric.Int64Counter
	// firstRetry is the wait before the second attempt, doubling after; tests shorten it.
	firstRetry time.Duration
}

func newWebhook(cfg WebhookConfig, logger *zap.Logger, deliveries metric.Int64Counter) *webhook {
	return &webhook{
		cfg:    cfg,
		logger: logger,
		client: &http.Client{
			Timeout: cfg.Timeout,
			// Only the configured URL is called.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		queue:      make(chan budget.Notification, cfg.QueueSize),
		deliveries: deliveries,
		firstRetry: time.Second,
	}
}

// enqueue hands n to the delivery goroutine, or drops it when the queue is full.
func (w *webhook) enqueue(ctx context.Context, n budget.Notification) {
	select {
	case w.queue <- n:
	default:
		w.count(ctx, deliveryDropped)
		w.logger.Warn("budget webhook queue full; notification dropped", zap.String("budget", n.Budget), zap.Float64("threshold", n.Threshold))
	}
}

// run delivers queued notifications one at a time until ctx ends.
func (w *webhook) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-w.queue:
			if err := w.deliver(ctx, n); err != nil {
				if ctx.Err() != nil {
					return
				}
				w.count(ctx, deliveryFailed)
				w.logger.Warn("budget webhook failed", zap.String("budget", n.Budget), zap.Float64("threshold", n.Threshold), zap.Error(err))
				continue
			}
			w.count(ctx, deliveryDelivered)
		}
	}
}

func (w *webhook) count(ctx context.Context, outcome string) {
	w.deliveries.Add(ctx, 1, metric.WithAttributes(outcomeKey.String(outcome)))
}

// deliver POSTs n, trying again after transient failures. Every attempt carries the
// same delivery id, so a receiver can drop repeats of one it already handled.
func (w *webhook) deliver(ctx context.Context, n budget.Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	id := fmt.Sprintf("%s/%d/%g", n.Budget, n.PeriodStart.Unix(), n.Threshold)
	wait := w.firstRetry
	var last error
	for attempt := 1; attempt <= w.cfg.MaxAttempts; attempt++ {
		retry, err := w.post(ctx, id, attempt, body)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("attempt %d of %d: %w", attempt, w.cfg.MaxAttempts, err)
		if !retry || attempt == w.cfg.MaxAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
	return last
}

// post makes one attempt; retry says whether another may succeed.
func (w *webhook) post(ctx context.Context, id string, attempt int, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aiusage-duckdb-exporter")
	req.Header.Set("X-Aiusage-Event", budget.EventCrossed)
	req.Header.Set("X-Aiusage-Delivery", id)
	req.Header.Set("X-Aiusage-Attempt", strconv.Itoa(attempt))
	req.Header.Set(budget.SignatureHeader, budget.Sign([]byte(w.cfg.Secret), time.Now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("receiver answered %s", resp.Status)
	}
	return false, fmt.Errorf("receiver answered %s", resp.Status)
}
