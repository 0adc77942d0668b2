package instrumentation

// Version is the version of the instrumentation, recorded as the instrumentation
// scope version of the spans and metrics it makes.
func Version() string {
	return "0.1.0-dev"
}
