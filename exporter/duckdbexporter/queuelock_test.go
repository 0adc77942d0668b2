package duckdbexporter

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/aiusage/aiusage/exporter/duckdbexporter/internal/metadata"
)

// storageHost is a collector host holding storage extensions.
type storageHost map[component.ID]component.Component

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h }

// TestQueueDirectoryTakenNamesIt starts two exporters, each with its own DuckDB file
// and its own file_storage extension, on one queue directory, as two collectors
// sharing AIUSAGE_QUEUE_DIR would: the second must fail to start naming the queue
// file, its directory and who holds it.
func TestQueueDirectoryTakenNamesIt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	storage := component.MustNewIDWithName("file_storage", "queue")
	newHost := func() storageHost {
		f := filestorage.NewFactory()
		cfg := f.CreateDefaultConfig().(*filestorage.Config)
		cfg.Directory = dir
		cfg.Timeout = 100 * time.Millisecond
		ext, err := f.Create(ctx, extensiontest.NewNopSettings(f.Type()), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := ext.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ext.Shutdown(ctx) })
		return storageHost{storage: ext}
	}
	newConfig := func() *Config {
		cfg := testConfig(t)
		q := exporterhelper.NewDefaultQueueConfig()
		q.StorageID = &storage
		cfg.QueueConfig = configoptional.Some(q)
		return cfg
	}

	// Both are exporter "duckdb", as in two collectors with the same configuration.
	set := exportertestSettings()
	set.ID = component.NewID(metadata.Type)
	first, err := NewFactory().CreateTraces(ctx, set, newConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(ctx, newHost()); err != nil {
		t.Fatalf("first exporter: %v", err)
	}
	t.Cleanup(func() { _ = first.Shutdown(ctx) })

	second, err := NewFactory().CreateTraces(ctx, set, newConfig())
	if err != nil {
		t.Fatal(err)
	}
	err = second.Start(ctx, newHost())
	_ = second.Shutdown(ctx)
	if err == nil {
		t.Fatal("a second exporter started on a queue file another one holds")
	}
	for _, want := range []string{
		filepath.Join(dir, "exporter_duckdb__traces"), "is locked by this process",
		"cannot share the queue directory " + dir, "file_storage/queue",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	t.Log(err)
	if !errors.Is(err, bolterrors.ErrTimeout) {
		t.Errorf("error no longer wraps bbolt's timeout: %v", err)
	}
}

// TestQueueLockKeepsBatchingVisible checks the wrapper still tells the collector that
// exporterhelper batches, which is what its double-batching warning is based on.
func TestQueueLockKeepsBatchingVisible(t *testing.T) {
	exp, err := NewFactory().CreateTraces(context.Background(), exportertestSettings(), createDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := exp.(helperBatcher)
	if !ok || !b.ExporterHelperBatchingEnabled() {
		t.Errorf("the exporter no longer reports exporterhelper batching (%T)", exp)
	}
}

// TestQueueLockPassesOtherErrors checks that only the lock timeout is rewritten.
func TestQueueLockPassesOtherErrors(t *testing.T) {
	storage := component.MustNewID("file_storage")
	other := errors.New("disk full")
	for _, tt := range []struct {
		name string
		lock queueLock
		err  error
	}{
		{"no error", queueLock{storage: &storage}, nil},
		{"another error", queueLock{storage: &storage}, other},
		{"memory queue", queueLock{}, bolterrors.ErrTimeout},
	} {
		if got := tt.lock.explain(tt.err); got != tt.err {
			t.Errorf("%s: explain(%v) = %v, want it unchanged", tt.name, tt.err, got)
		}
	}
}
