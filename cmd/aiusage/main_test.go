package main

import (
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		wantStderr string
	}{
		{args: nil, code: 2, wantStderr: "usage: aiusage <command>"},
		{args: []string{"help"}, code: 0, wantStderr: "commands:"},
		{args: []string{"frobnicate"}, code: 2, wantStderr: `unknown command "frobnicate"`},
		{args: []string{"report", "-h"}, code: 0, wantStderr: "usage: aiusage report NAME"},
		{args: []string{"report", "daily", "-h"}, code: 0, wantStderr: "--from-day"},
		{args: []string{"prices", "show", "-h"}, code: 0, wantStderr: "-format"},
		{args: []string{"prices", "load", "-h"}, code: 0, wantStderr: "-db"},
		{args: []string{"budgets", "-h"}, code: 0, wantStderr: "usage: aiusage budgets list"},
		{args: []string{"budgets", "set", "-h"}, code: 0, wantStderr: "-provider-cap"},
		{args: []string{"emulate", "-h"}, code: 0, wantStderr: "-groq-addr"},
		{args: []string{"demo", "-h"}, code: 0, wantStderr: "usage: aiusage demo"},
		{args: []string{"prices", "show", "extra"}, code: 1, wantStderr: `aiusage prices: unexpected argument "extra"`},
		{args: []string{"emulate", "extra"}, code: 1, wantStderr: `aiusage emulate: unexpected argument "extra"`},
		{args: []string{"demo", "-no-such-flag"}, code: 1, wantStderr: "flag provided but not defined: -no-such-flag"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.code, tc.wantStderr)
			}
		})
	}
}
