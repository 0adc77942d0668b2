package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aiusage/aiusage/internal/budget"
)

// DemoBudget is the demo's budget: the home assistant's spend per UTC day, small enough
// that the emulated traffic crosses every threshold.
var DemoBudget = budget.Budget{
	Name: "home-assistant-daily", Scope: budget.ScopeProject, Value: "home-assistant",
	Period: budget.PeriodDay, TimeZone: "UTC", AmountUSD: 0.01, Thresholds: []float64{0.5, 0.8, 1},
}

// BudgetListener is a local webhook receiver for the collector's budget notifications:
// it checks each signature and keeps what it received.
type BudgetListener struct {
	// Env points the collector at the budgets file and this listener.
	Env    []string
	URL    string
	secret []byte
	srv    *http.Server

	mu       sync.Mutex
	received []ReceivedNotification
	arrived  chan struct{} // signalled on each notification
}

// ReceivedNotification is one webhook delivery as the listener saw it.
type ReceivedNotification struct {
	Notification budget.Notification
	Body         []byte
	// Verified says the signature matched the shared secret.
	Verified bool
}

// StartBudgetListener writes DemoBudget to dir/budgets.yaml and listens on loopback for
// its notifications, with a fresh secret.
func StartBudgetListener(dir string) (*BudgetListener, error) {
	b := DemoBudget
	b.Normalize()
	file := filepath.Join(dir, "budgets.yaml")
	data, err := budget.Marshal([]budget.Budget{b})
	if err != nil {
		return nil, fmt.Errorf("demo budget: %w", err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return nil, fmt.Errorf("demo budget: %w", err)
	}
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("demo budget secret: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("budget webhook listener: %w", err)
	}
	l := &BudgetListener{
		URL:     "http://" + ln.Addr().String() + "/aiusage/budgets",
		secret:  []byte(hex.EncodeToString(secret)),
		arrived: make(chan struct{}, 16),
	}
	l.Env = []string{
		"AIUSAGE_BUDGETS_FILE=" + file,
		"AIUSAGE_BUDGETS_INTERVAL=500ms",
		"AIUSAGE_BUDGETS_WEBHOOK_URL=" + l.URL,
		"AIUSAGE_BUDGETS_WEBHOOK_SECRET=" + string(l.secret),
	}
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

func (l *BudgetListener) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "want a POST", http.StatusBadRequest)
		return
	}
	got := ReceivedNotification{Body: body,
		Verified: budget.Verify(l.secret, r.Header.Get(budget.SignatureHeader), body, time.Now(), 5*time.Minute) == nil}
	if err := json.Unmarshal(body, &got.Notification); err != nil {
		http.Error(w, "not a budget notification", http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	l.received = append(l.received, got)
	l.mu.Unlock()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// Received returns the notifications received so far.
func (l *BudgetListener) Received() []ReceivedNotification {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ReceivedNotification(nil), l.received...)
}

// Wait waits until a notification for the whole amount arrived, or limit passed.
func (l *BudgetListener) Wait(ctx context.Context, limit time.Duration) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		for _, r := range l.Received() {
			if r.Notification.Threshold >= 1 {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-l.arrived:
		}
	}
}

// Stop stops the listener.
func (l *BudgetListener) Stop(ctx context.Context) error {
	if err := l.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("budget webhook listener: %w", err)
	}
	return nil
}

// Print writes what the listener received.
func (l *BudgetListener) Print(w io.Writer) {
	got := l.Received()
	b := DemoBudget
	fmt.Fprintf(w, "\nBudget %s: %g USD a %s for project %s, thresholds 50%%/80%%/100%%; webhook %s\n", b.Name, b.AmountUSD, b.Period, b.Value, l.URL)
	if len(got) == 0 {
		fmt.Fprintln(w, "  no crossing notified (yet): the traffic stayed under the budget's first threshold")
		return
	}
	for _, r := range got {
		n := r.Notification
		verified := "signature verified"
		if !r.Verified {
			verified = "SIGNATURE DID NOT MATCH"
		}
		fmt.Fprintf(w, "  webhook received (%s): %s crossed %g%%: %.4f of %.4f USD spent, status %s, projected %.4f USD by %s\n",
			verified, n.Budget, n.Threshold*100, n.SpendUSD, n.AmountUSD, n.Status, n.ProjectedUSD, n.PeriodEnd.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  body: %s\n", got[len(got)-1].Body)
}
