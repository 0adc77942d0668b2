package budget_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aiusage/aiusage/internal/budget"
)

func valid() budget.Budget {
	return budget.Budget{Name: "atlas", Scope: "project", Value: "atlas", Period: "month", TimeZone: "Europe/Paris", AmountUSD: 200}
}

// TestValidateNamesTheField: each bad input is an error naming the field, and only it.
func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		change func(*budget.Budget)
		field  string
		reason string
	}{
		{"negative amount", func(b *budget.Budget) { b.AmountUSD = -5 }, "amount_usd", "-5 is negative"},
		{"zero amount", func(b *budget.Budget) { b.AmountUSD = 0 }, "amount_usd", "positive amount"},
		{"NaN amount", func(b *budget.Budget) { b.AmountUSD = math.NaN() }, "amount_usd", "not a number"},
		{"unknown scope", func(b *budget.Budget) { b.Scope = "team" }, "scope", `"team" is not one of all, provider, model, user, project, action`},
		{"unknown period", func(b *budget.Budget) { b.Period = "week" }, "period", `"week" is not one of day, month`},
		{"threshold above 10", func(b *budget.Budget) { b.Thresholds = []float64{0.5, 80} }, "thresholds[1]", "80 is above 10"},
		{"threshold 0", func(b *budget.Budget) { b.Thresholds = []float64{0, 1} }, "thresholds[0]", "not above 0"},
		{"unknown time zone", func(b *budget.Budget) { b.TimeZone = "Mars/Olympus" }, "time_zone", `"Mars/Olympus" is not an IANA time zone`},
		{"Local is not a zone", func(b *budget.Budget) { b.TimeZone = "Local" }, "time_zone", "not an IANA time zone"},
		{"no name", func(b *budget.Budget) { b.Name = "" }, "name", "empty"},
		{"control characters", func(b *budget.Budget) { b.Name = "a\nb" }, "name", "control characters"},
		{"no value", func(b *budget.Budget) { b.Value = "" }, "value", "scope project needs the project"},
		{"value with all", func(b *budget.Budget) { b.Scope = "all" }, "value", "scope all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := valid()
			tt.change(&b)
			b.Normalize()
			err := b.Validate()
			var fe *budget.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Validate() = %v; want %s: ...%s", err, tt.field, tt.reason)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("one bad field, several errors: %v", err)
			}
		})
	}
	b := valid()
	b.Normalize()
	if err := b.Validate(); err != nil {
		t.Errorf("valid budget: %v", err)
	}
	if !slices.Equal(b.Thresholds, budget.DefaultThresholds) {
		t.Errorf("default thresholds %v", b.Thresholds)
	}
	// Every bad field at once: each named.
	bad := budget.Budget{Scope: "team", Period: "week", TimeZone: "x", AmountUSD: -1, Thresholds: []float64{11}}
	bad.Normalize()
	err := bad.Validate()
	for _, f := range []string{"name:", "scope:", "period:", "time_zone:", "amount_usd:", "thresholds[0]:"} {
		if !strings.Contains(fmtErr(err), f) {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseThresholds(t *testing.T) {
	tests := []struct {
		in   string
		want []float64
		err  bool
	}{
		{"50%,80%,100%", []float64{0.5, 0.8, 1}, false},
		{"0.5, 1", []float64{0.5, 1}, false},
		{"150%", []float64{1.5}, false},
		{"", nil, false},
		{"half", nil, true},
		{"50%%", nil, true},
	}
	for _, tt := range tests {
		got, err := budget.ParseThresholds(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("ParseThresholds(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseFile(t *testing.T) {
	good := `budgets:
  - name: atlas-monthly
    scope: project
    value: atlas
    period: month
    time_zone: Europe/Paris
    amount_usd: 200
    thresholds: [1, 0.5, 0.8]
  - name: gemini-cap
    scope: provider
    value: gcp.gemini
    period: month
    time_zone: America/Los_Angeles
    amount_usd: 50
    provider_cap: true
`
	bs, err := budget.Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || !slices.Equal(bs[0].Thresholds, []float64{0.5, 0.8, 1}) || !bs[1].ProviderCap || bs[1].Thresholds == nil {
		t.Errorf("parsed %+v", bs)
	}
	// Round trip through Marshal.
	out, err := budget.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	again, err := budget.Parse(out)
	if err != nil || len(again) != 2 || again[0].Name != "atlas-monthly" {
		t.Errorf("round trip: %+v, %v", again, err)
	}

	for _, tt := range []struct{ doc, want string }{
		{"budgets:\n  - name: a\n    scope: all\n    period: day\n    amount_usd: -1\n", `budgets[0] ("a"): amount_usd: -1 is negative`},
		{"budgets:\n  - name: a\n    scope: all\n    period: day\n    amount: 1\n", "field amount not found"},
		{"budgets:\n  - {name: a, scope: all, period: day, amount_usd: 1}\n  - {name: a, scope: all, period: day, amount_usd: 2}\n", `budgets[1] ("a"): name: "a" is also budgets[0]`},
		{"budgets:\n  - {name: b, scope: all, period: fortnight, amount_usd: 1, thresholds: [0.5, 12]}\n", `budgets[0] ("b"): period: "fortnight" is not one of day, month`},
		{"budgets: {}\n", "cannot unmarshal"},
	} {
		_, err := budget.Parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
	}

	path := filepath.Join(t.TempDir(), "budgets.yaml")
	if err := os.WriteFile(path, []byte("budgets:\n  - {name: x, scope: user, value: ana, period: day, amount_usd: 1, thresholds: [20]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := budget.ReadFile(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "thresholds[0]: 20 is above 10") {
		t.Errorf("ReadFile: %v", err)
	}
}

// FuzzParse: whatever the file, Parse returns budgets that validate, or an error.
func FuzzParse(f *testing.F) {
	f.Add([]byte("budgets:\n  - {name: a, scope: all, period: day, amount_usd: 1}\n"))
	f.Add([]byte("budgets:\n  - {name: a, scope: model, value: m, period: month, time_zone: Asia/Tokyo, amount_usd: 1e308, thresholds: [10, 1e-300]}\n"))
	f.Add([]byte("budgets: [{name: \"\\u0000\", scope: user, value: u, period: day, amount_usd: .nan}]"))
	f.Add([]byte(`{"budgets":[{"name":"j","scope":"action","value":"x","period":"day","amount_usd":2}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := budget.Parse(data)
		if err != nil {
			return
		}
		for _, b := range bs {
			if err := b.Validate(); err != nil {
				t.Fatalf("Parse returned a budget that does not validate: %+v: %v", b, err)
			}
		}
	})
}

func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{"50%,80%", "0.5,1", "", "1e3%", "-1", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := budget.ParseThresholds(s)
		if err == nil && strings.TrimSpace(s) != "" && len(ts) == 0 {
			t.Fatalf("ParseThresholds(%q): no thresholds and no error", s)
		}
	})
}

func TestSignAndVerify(t *testing.T) {
	secret := []byte("a shared secret of some length")
	body := []byte(`{"event":"budget.threshold_crossed","budget":"b"}`)
	at := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	h := budget.Sign(secret, at, body)
	if !strings.HasPrefix(h, "t=1795791600,v1=") || len(h) != len("t=1795791600,v1=")+64 {
		t.Errorf("signature header %q", h)
	}
	if err := budget.Verify(secret, h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for name, tt := range map[string]struct {
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		"other secret": {[]byte("another secret"), h, body, at},
		"other body":   {secret, h, []byte(`{"budget":"c"}`), at},
		"too old":      {secret, h, body, at.Add(6 * time.Minute)},
		"no time":      {secret, strings.Replace(h, "t=", "x=", 1), body, at},
		"garbage":      {secret, "v1=zz", body, at},
	} {
		if err := budget.Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute); !errors.Is(err, budget.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
}
