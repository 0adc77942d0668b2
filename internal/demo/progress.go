package demo

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// progress keeps one status line up to date while calls complete. On a terminal the
// line is redrawn in place; elsewhere (a log, CI) a line is written every tenth.
type progress struct {
	w                        io.Writer
	tty                      bool
	total                    int
	done, ok, limited, fails int
	in, out                  int64
	last                     time.Time
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// add counts an outcome and redraws the line at most ten times a second.
func (p *progress) add(o Outcome) {
	p.done++
	switch {
	case o.Err == nil:
		p.ok++
	case o.Status == http.StatusTooManyRequests:
		p.limited++
	default:
		p.fails++
	}
	p.in += o.InputTokens
	p.out += o.OutputTokens
	if !p.tty {
		if step := max(p.total/10, 1); p.done%step == 0 && p.done != p.total {
			p.draw()
			fmt.Fprintln(p.w)
		}
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
}

func (p *progress) draw() {
	if p.tty {
		fmt.Fprint(p.w, "\r")
	}
	fmt.Fprintf(p.w, "  calls %4d/%d   ok %4d   rate-limited (429) %4d   other errors %3d   tokens in %6d out %6d",
		p.done, p.total, p.ok, p.limited, p.fails, p.in, p.out)
}

func (p *progress) finish() {
	p.draw()
	fmt.Fprintln(p.w)
}
