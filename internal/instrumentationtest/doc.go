// Package instrumentationtest tests the instrumentation library from outside its
// module, with what that module must not require: the real openai-go and genai SDKs
// on top of the transport, recorded provider traffic (../shared/fixtures/cassettes,
// read with internal/cassette), and otelhttp as the benchmark baseline. The library's
// own tests, in its module, need nothing but OpenTelemetry.
package instrumentationtest
