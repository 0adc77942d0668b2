package instrumentation

import (
	"github.com/aiusage/aiusage/instrumentation/internal/response"
	"github.com/aiusage/aiusage/instrumentation/semconv"
)

// applyVoice completes a speech call from what its request and response said. A
// speech-to-text call takes its request model from the upload's form, renaming the
// span started without it, and bills the audio's duration: the one Groq reported
// (verbose_json), else the one measured from the upload; when neither is known the
// call has no usage and is unpriced, never free. A text-to-speech call bills the input
// characters.
func (a *attempt) applyVoice(r *response.Result) {
	c := &a.call
	switch {
	case a.upload != nil:
		up := a.upload.result()
		if c.RequestModel == "" && up.model != "" {
			c.RequestModel = up.model
			if a.span.IsRecording() {
				a.span.SetName(c.operation() + " " + up.model)
				a.span.SetAttributes(semconv.GenAIRequestModel.String(up.model))
			}
		}
		switch {
		case r.HasUsage:
			a.usage = Usage{AudioSeconds: r.Reported.Duration}
			c.Usage = &a.usage
		case up.measured && c.StatusCode < 400 && c.ErrorType == "":
			a.usage = Usage{AudioSeconds: up.seconds}
			c.Usage = &a.usage
		}
	case a.inputCharacters > 0 && c.StatusCode < 400:
		a.usage = Usage{InputCharacters: a.inputCharacters}
		c.Usage = &a.usage
	}
}

// billedWithoutTokens reports whether u is a speech call's, billed by audio seconds or
// input characters and reporting no tokens: its token totals are not token counts of 0.
func billedWithoutTokens(u *Usage) bool {
	return u.InputTokens == 0 && u.OutputTokens == 0 && (u.AudioSeconds > 0 || u.InputCharacters > 0)
}
