package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestReportHTML(t *testing.T) {
	db := fixtureDB(t)
	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := runCLI("report", "html", "--db", db, "--to", "2026-11-02", "--days", "7", "--out", out)
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+out) {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		"<title>aiusage: 2026-10-27 to 2026-11-02</title>",
		"Requests per day", "Tokens per day", "Cost per day", "Top users by tokens", "Quota utilization",
		// Nov 2: 5 calls, 3 failed; 3500 input tokens; the gemini 2.5 flash request quota at 95% warns.
		"<title>2026-11-02 succeeded: 2</title>", "<title>2026-11-02 failed: 3</title>", "<title>2026-11-02 input: 3500</title>",
		">ana</text>", ">(no user.id)</text>",
		// the Groq day quota the 429 used up, then Gemini's estimated one at 95%, both warning
		`fill="#dc2626"/><text x="638" y="43" class="l">100% (header)</text>`,
		`fill="#dc2626"/><text x="638" y="67" class="l">95% (estimate)</text>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Ranked by tokens (ana 4300, bo 2400, no user 550, cy 0), not by the users report's cost order.
	users := s[strings.Index(s, "Top users by tokens"):strings.Index(s, "Quota utilization")]
	pos := func(label string) int { return strings.Index(users, ">"+label+"</text>") }
	if !(pos("ana") < pos("bo") && pos("bo") < pos("(no user.id)") && pos("(no user.id)") < pos("cy")) {
		t.Errorf("top users not ranked by tokens: ana %d, bo %d, (no user.id) %d, cy %d",
			pos("ana"), pos("bo"), pos("(no user.id)"), pos("cy"))
	}
	if !regexp.MustCompile(`groq/compound-mini +unpriced +1 +500 +0 +50 +NULL`).MatchString(s) {
		t.Error("the month's cost table does not list the unpriced model apart")
	}
	// Self-contained: nothing is fetched.
	if m := regexp.MustCompile(`(?i)(src|href)=|url\(|<script|@import`).FindString(s); m != "" {
		t.Errorf("page refers outside itself: %q", m)
	}

	code, _, stderr = runCLI("report", "html", "--db", db, "--to", "2026-11-31")
	if code != 1 || !strings.Contains(stderr, `--to: "2026-11-31" is not a date`) {
		t.Errorf("bad --to: exit %d %s", code, stderr)
	}
}
