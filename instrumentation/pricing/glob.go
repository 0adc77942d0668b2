package pricing

import (
	"errors"
	"strings"
)

// A model field is an exact name or a glob. Globs are matched as DuckDB's GLOB
// operator matches them, so that the library and the reports' SQL pick the same rows:
// * matches any run of characters, / included ("*gpt-oss*" matches
// "openai/gpt-oss-20b"), ? any one character, [abc], [a-z] one of a set and [!abc]
// one not in it. Patterns whose meaning DuckDB and this matcher could read
// differently (a backslash, ^ or ] opening a set, a trailing -, an unclosed [) are
// refused when the table is read.

// globMeta are the characters that make a model field a pattern rather than a name.
const globMeta = `*?[`

// isGlob reports whether a model field is a pattern rather than a name.
func isGlob(model string) bool {
	return strings.ContainsAny(model, globMeta)
}

// checkGlob reports why pattern is not a glob this package and DuckDB read alike.
func checkGlob(pattern string) error {
	if strings.ContainsAny(pattern, `\`) {
		return errors.New(`a backslash is not allowed (patterns use * ? [abc] [a-z] [!abc])`)
	}
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case ']':
			return errors.New("] outside a [set]")
		case '[':
			end := strings.IndexByte(pattern[i+1:], ']')
			if end < 0 {
				return errors.New("[ without its ]")
			}
			set := pattern[i+1 : i+1+end]
			set = strings.TrimPrefix(set, "!")
			switch {
			case set == "":
				return errors.New("an empty [set]")
			case set[0] == '^':
				return errors.New("[^...] is not a negated set here; write [!...]")
			case set[0] == '-' || set[len(set)-1] == '-':
				return errors.New("a [set] cannot start or end with -")
			}
			for j := 1; j+1 < len(set); j++ {
				if set[j] == '-' && set[j-1] > set[j+1] {
					return errors.New("a [set] range must go up, as in [a-z]")
				}
			}
			i += end + 1
		}
	}
	return nil
}

// globMatch reports whether name matches pattern, a glob checkGlob accepts.
func globMatch(pattern, name string) bool {
	// Iterative matching with backtracking to the last *: linear for one *, and
	// patterns are short.
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starN = p, n
				p++
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				end := p + 1 + strings.IndexByte(pattern[p+1:], ']')
				if inSet(pattern[p+1:end], name[n]) {
					p = end + 1
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// inSet reports whether c is in set, the inside of a [set].
func inSet(set string, c byte) bool {
	negate := strings.HasPrefix(set, "!")
	if negate {
		set = set[1:]
	}
	in := false
	for i := 0; i < len(set); i++ {
		if i+2 < len(set) && set[i+1] == '-' {
			if set[i] <= c && c <= set[i+2] {
				in = true
			}
			i += 2
			continue
		}
		if set[i] == c {
			in = true
		}
	}
	return in != negate
}

// globPrefix is the literal text before a pattern's first meta character: a cheap
// first filter.
func globPrefix(pattern string) string {
	if i := strings.IndexAny(pattern, globMeta); i >= 0 {
		return pattern[:i]
	}
	return pattern
}
