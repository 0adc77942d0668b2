package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"gopkg.in/yaml.v3"
)

// TestComponentVersionsAreTheLinkedOnes holds the modules `otelcol-aiusage components`
// reports against go.mod (what the binary links) and against the ocb manifest
// collector-config/builder-config.yaml (what teams building their own distribution
// get): the same modules at the same versions.
func TestComponentVersionsAreTheLinkedOnes(t *testing.T) {
	f, err := components()
	if err != nil {
		t.Fatal(err)
	}
	var reported []string
	for _, modules := range []map[string]string{
		stringKeys(f.ReceiverModules), stringKeys(f.ProcessorModules),
		stringKeys(f.ExporterModules), stringKeys(f.ExtensionModules),
	} {
		for typ, m := range modules {
			if !strings.Contains(m, " v") && !strings.HasPrefix(m, "github.com/aiusage/aiusage") {
				t.Errorf("%s: module %q has no version", typ, m)
			}
			reported = append(reported, m)
		}
	}

	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\S+) (v\S+)`).FindAllStringSubmatch(string(goMod), -1) {
		required[m[1]] = m[2]
	}

	raw, err := os.ReadFile("../../collector-config/builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type module struct {
		GoMod string `yaml:"gomod"`
		Path  string `yaml:"path"`
	}
	var manifest struct {
		Receivers, Processors, Exporters, Extensions []module
	}
	if err := yaml.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, kind := range [][]module{manifest.Receivers, manifest.Processors, manifest.Exporters, manifest.Extensions} {
		for _, c := range kind {
			listed = append(listed, c.GoMod)
			path, version, _ := strings.Cut(c.GoMod, " ")
			if c.Path == "" && required[path] != version {
				t.Errorf("builder-config.yaml: %s, go.mod requires %s", c.GoMod, required[path])
			}
		}
	}

	// This module is reported at its build version and listed in the manifest at a
	// placeholder, built from the checkout: compare its path only.
	norm := func(ms []string) string {
		out := make([]string, len(ms))
		for i, m := range ms {
			if strings.HasPrefix(m, "github.com/aiusage/aiusage ") {
				m = "github.com/aiusage/aiusage"
			}
			out[i] = m
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	if norm(reported) != norm(listed) {
		t.Errorf("components reports\n%s\n\nbuilder-config.yaml lists\n%s", norm(reported), norm(listed))
	}
	for _, m := range reported {
		path, version, _ := strings.Cut(m, " ")
		if path != "github.com/aiusage/aiusage" && required[path] != version {
			t.Errorf("components reports %s, go.mod requires %s", m, required[path])
		}
	}
}

func stringKeys(m map[component.Type]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k.String()] = v
	}
	return out
}
