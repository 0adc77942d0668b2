package durability

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aiusage/aiusage/internal/collectorbin"
)

var (
	// collectorBin is the otelcol-aiusage binary TestMain built.
	collectorBin string
	// shippedConfig is collector-config/config.yaml, as the tests run it.
	shippedConfig = filepath.Join("..", "..", "collector-config", "config.yaml")
)

// TestMain builds the collector distribution once, unless -short skips every test
// that would run it. To measure a baseline, AIUSAGE_DURABILITY_COLLECTOR and
// AIUSAGE_DURABILITY_CONFIG run the tests against another build and configuration.
func TestMain(m *testing.M) {
	if cfg := os.Getenv("AIUSAGE_DURABILITY_CONFIG"); cfg != "" {
		shippedConfig = cfg
	}
	collectorBin = os.Getenv("AIUSAGE_DURABILITY_COLLECTOR")
	os.Exit(collectorbin.Main(m, &collectorBin))
}
