package budget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventCrossed is the event of a Notification: a budget's spend reached a threshold.
const EventCrossed = "budget.threshold_crossed"

// Notification is what a budget webhook receives as JSON when a budget's spend reaches
// one of its thresholds in a period: the budget, the spend and the forecast. It holds
// no call content: only names, amounts and times.
type Notification struct {
	Event       string  `json:"event"`
	Budget      string  `json:"budget"`
	Scope       string  `json:"scope"`
	ScopeValue  string  `json:"scope_value"`
	Period      string  `json:"period"`
	TimeZone    string  `json:"time_zone"`
	AmountUSD   float64 `json:"amount_usd"`
	SpendUSD    float64 `json:"spend_usd"`
	Used        float64 `json:"used"`      // SpendUSD / AmountUSD
	Threshold   float64 `json:"threshold"` // the threshold reached: 0.8 is 80 %
	Status      string  `json:"status"`    // as the budgets report says: warning, exceeded, ...
	ProviderCap bool    `json:"provider_cap"`
	// ProjectedUSD is the spend at PeriodEnd at the period's pace so far.
	ProjectedUSD float64 `json:"projected_usd"`
	// ProjectedOverrunAt is when the pace reaches AmountUSD, if before PeriodEnd.
	ProjectedOverrunAt *time.Time `json:"projected_overrun_at,omitempty"`
	PeriodStart        time.Time  `json:"period_start"`
	PeriodEnd          time.Time  `json:"period_end"`
	CrossedAt          time.Time  `json:"crossed_at"`
}

// SignatureHeader carries a notification's signature: "t=<unix seconds>,v1=<hex>",
// where v1 is HMAC-SHA256 with the shared secret of "<unix seconds>.<body>". The time
// is part of what is signed, so a receiver can refuse replays of old deliveries.
const SignatureHeader = "X-Aiusage-Signature"

// Sign returns the SignatureHeader value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// ErrBadSignature is returned by Verify for a delivery that was not signed with the
// secret, or was signed too long ago.
var ErrBadSignature = errors.New("budget notification: bad signature")

// Verify checks a SignatureHeader value for body, received at now: signed with secret
// at most tolerance before or after now.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no time", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s from now", ErrBadSignature, d.Round(time.Second))
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, ts, body)) {
		return ErrBadSignature
	}
	return nil
}
