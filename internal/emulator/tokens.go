package emulator

import "unicode/utf8"

// ToolUsePromptTokens is what one Gemini built-in tool (search, code execution, URL context)
// adds to toolUsePromptTokenCount.
const ToolUsePromptTokens = 256

// tokenChars is the number of characters one token stands for.
const tokenChars = 4

// CountTokens returns the emulator's token count for text: one token per 4 characters
// (runes), rounded up.
func CountTokens(text string) int {
	return (utf8.RuneCountInString(text) + tokenChars - 1) / tokenChars
}

// ReplyTokens returns how many visible tokens the emulator answers a prompt of promptTokens
// with, before any max-tokens cap.
func ReplyTokens(promptTokens int) int {
	return 8 + promptTokens/2
}

// The texts replies and reasoning are cut from. Every piece is tokenChars long so that a
// reply of n tokens counts back to n tokens.
const (
	replyText     = "Okay, here is what I found for your request. The lights are on, the timer is set and the music is playing. "
	reasoningText = "The user asks for an action; check the request, pick the device and confirm briefly. "
)

// pieces returns n consecutive tokenChars-long pieces of text, wrapping around.
func pieces(text string, n int) []string {
	out := make([]string, n)
	for i := range out {
		start := (i * tokenChars) % len(text)
		p := text[start:min(start+tokenChars, len(text))]
		if len(p) < tokenChars {
			p += text[:tokenChars-len(p)]
		}
		out[i] = p
	}
	return out
}

// plan is the deterministic outcome of one generation request.
type plan struct {
	prompt    int // prompt tokens, cached ones included
	cached    int // prompt tokens read from the cache
	reasoning int // thinking tokens
	reply     int // visible output tokens
	capped    bool
}

// newPlan caps thinking first, then the reply, at maxTokens (0 means no cap).
func newPlan(prompt, cached, reasoning, maxTokens int) plan {
	p := plan{prompt: prompt, cached: cached, reasoning: reasoning, reply: ReplyTokens(prompt)}
	if maxTokens > 0 && p.reasoning+p.reply > maxTokens {
		p.capped = true
		p.reasoning = min(p.reasoning, maxTokens)
		p.reply = maxTokens - p.reasoning
	}
	return p
}
