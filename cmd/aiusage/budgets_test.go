package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBudgetsCommand(t *testing.T) {
	db := fixtureDB(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "budgets.yaml")
	load := filepath.Join(dir, "load.yaml")
	os.WriteFile(load, []byte("budgets:\n  - {name: only, scope: all, period: day, amount_usd: 0.001}\n"), 0o644) //nolint:errcheck

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"negative amount", []string{"budgets", "set", "b", "--scope", "user", "--value", "ana", "--period", "day", "--amount", "-5", "--db", db}, 1, "", "--amount: -5 is negative"},
		{"unknown scope", []string{"budgets", "set", "b", "--scope", "team", "--value", "x", "--period", "day", "--amount", "5", "--db", db}, 1, "", `--scope: "team" is not one of all, provider, model, user, project, action`},
		{"unknown period", []string{"budgets", "set", "b", "--scope", "all", "--period", "week", "--amount", "5", "--db", db}, 1, "", `--period: "week" is not one of day, month`},
		{"threshold above 10", []string{"budgets", "set", "b", "--scope", "all", "--period", "day", "--amount", "5", "--thresholds", "50%,80", "--db", db}, 1, "", "--thresholds: 80 is above 10"},
		{"bad zone", []string{"budgets", "set", "b", "--scope", "all", "--period", "day", "--amount", "5", "--time-zone", "Paris", "--db", db}, 1, "", `--time-zone: "Paris" is not an IANA time zone`},
		{"nowhere", []string{"budgets", "set", "b", "--scope", "all", "--period", "day", "--amount", "5"}, 1, "", "say where the budgets are"},
		{"no name", []string{"budgets", "set", "--scope", "all"}, 1, "", "name the budget"},
		{"set db", []string{"budgets", "set", "ana-day", "--scope", "user", "--value", "ana", "--period", "day", "--time-zone", "America/Los_Angeles", "--amount", "0.001", "--thresholds", "50%,100%", "--db", db}, 0,
			"budget ana-day: user ana, 0.001 USD per day (America/Los_Angeles), thresholds 50%,100%\n", ""},
		{"list db", []string{"budgets", "list", "--db", db, "--as-of", "2026-11-02T12:00:00Z", "--format", "csv"}, 0,
			"ana-day,user,ana,day,America/Los_Angeles,2026-11-02T08:00:00Z,2026-11-03T08:00:00Z,0.001,0.0015,1.5,0,", ""},
		{"delete db", []string{"budgets", "delete", "voice-month", "--db", db}, 0, "deleted budget voice-month\n", ""},
		{"delete missing", []string{"budgets", "delete", "voice-month", "--db", db}, 1, "", `no budget "voice-month"`},
		{"set file", []string{"budgets", "set", "cap", "--scope", "provider", "--value", "gcp.gemini", "--period", "month", "--amount", "50", "--provider-cap", "--file", file}, 0, "budget cap: provider gcp.gemini, 50 USD per month (UTC)", ""},
		{"set file again", []string{"budgets", "set", "atlas", "--scope", "project", "--value", "atlas", "--period", "month", "--amount", "200", "--file", file}, 0, "budget atlas", ""},
		{"list file", []string{"budgets", "list", "--file", file, "--format", "csv"}, 0, "cap,provider,gcp.gemini,month,UTC,50,\"50%,80%,100%\",true\natlas,project,atlas,month,UTC,200,", ""},
		{"delete file", []string{"budgets", "delete", "cap", "--file", file}, 0, "deleted budget cap", ""},
		{"load", []string{"budgets", "load", load, "--db", db}, 0, "loaded 1 budgets from " + load, ""},
		{"list after load", []string{"budgets", "list", "--db", db, "--format", "csv"}, 0, "\nonly,all,,day,UTC,", ""},
		{"unknown", []string{"budgets", "raise"}, 1, "", `unknown subcommand "raise"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d)\nstdout %s\nstderr %s\nwant out %q err %q", code, tt.wantCode, out, errOut, tt.wantOut, tt.wantErr)
			}
		})
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), "name: cap") || !strings.Contains(string(b), "name: atlas") {
		t.Errorf("budgets file after the edits:\n%s", b)
	}
}
