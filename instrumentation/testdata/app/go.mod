// An app that adds the library, as an app's own module would: deps_test.go
// builds it against this checkout and lists its module graph.
module example.com/aiusageapp

go 1.26.0

require github.com/aiusage/aiusage/instrumentation v0.0.0

replace github.com/aiusage/aiusage/instrumentation => ../..
