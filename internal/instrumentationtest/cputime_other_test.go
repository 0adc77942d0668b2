//go:build !linux

package instrumentationtest

import "time"

// processCPU is not measured here: the interleaved benchmark reports elapsed time only.
func processCPU() time.Duration { return 0 }
