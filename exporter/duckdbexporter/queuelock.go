package duckdbexporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	bolterrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pipeline"
)

// A persistent sending queue keeps each signal in a bbolt file in the storage
// extension's directory, and bbolt locks the file for one process at a time. A second
// collector on the same directory waits for the lock for the extension's timeout and
// fails to start with bbolt's bare "timeout". The wrappers below turn that into an
// error naming the file, its directory and the process holding it.

// queueLock describes one exporter's persistent queue file.
type queueLock struct {
	storage *component.ID // the storage extension; nil for a queue in memory
	file    string        // the file's name in the extension's directory
}

func newQueueLock(c *Config, id component.ID, signal pipeline.Signal) queueLock {
	q := queueLock{file: fmt.Sprintf("exporter_%s_%s_%s", id.Type(), id.Name(), signal)}
	if c.QueueConfig.HasValue() {
		q.storage = c.QueueConfig.Get().StorageID
	}
	return q
}

// explain explains a start error caused by the queue file's lock; other errors pass.
func (q queueLock) explain(err error) error {
	if err == nil || q.storage == nil || !errors.Is(err, bolterrors.ErrTimeout) {
		return err
	}
	path, holder := lockHolder(q.file)
	if path == "" {
		return fmt.Errorf("sending queue on %s: its file %s is locked by another process, most likely another collector using the same directory; stop it or configure another directory for %s: %w",
			q.storage, q.file, q.storage, err)
	}
	return fmt.Errorf("sending queue on %s: %s is locked by %s; two collectors cannot share the queue directory %s: stop the other one or configure another directory for %s: %w",
		q.storage, path, holder, filepath.Dir(path), q.storage, err)
}

// lockHolder finds the process holding a flock on a file named name, from /proc/locks
// and that process's open files: the path and who holds it. It returns "" where /proc
// is not available or not readable.
func lockHolder(name string) (path, holder string) {
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return "", ""
	}
	for line := range strings.Lines(string(locks)) {
		// "1: FLOCK  ADVISORY  WRITE 4242 00:2d:1234567 0 EOF"; waiters have "->" after the id.
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != "FLOCK" {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil {
			continue
		}
		dev := strings.Split(f[5], ":")
		inode, err := strconv.ParseUint(dev[len(dev)-1], 10, 64)
		if err != nil {
			continue
		}
		if path := pathOpenBy(pid, name, inode); path != "" {
			return path, processName(pid)
		}
	}
	return "", ""
}

// pathOpenBy returns the path of the file named name with the given inode that process
// pid has open, or "".
func pathOpenBy(pid int, name string, inode uint64) string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil || filepath.Base(target) != name {
			continue
		}
		if st, err := os.Stat(target); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Ino == inode {
				return target
			}
		}
	}
	return ""
}

func processName(pid int) string {
	if pid == os.Getpid() {
		return "this process (another exporter in it)"
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return fmt.Sprintf("process %d", pid)
	}
	return fmt.Sprintf("process %d (%s)", pid, strings.TrimSpace(string(comm)))
}

// tracesQueueLock and metricsQueueLock are the exporterhelper exporters with start
// errors explained by queueLock.
type (
	tracesQueueLock struct {
		exporter.Traces
		lock queueLock
	}
	metricsQueueLock struct {
		exporter.Metrics
		lock queueLock
	}
)

func (e tracesQueueLock) Start(ctx context.Context, host component.Host) error {
	return e.lock.explain(e.Traces.Start(ctx, host))
}

func (e metricsQueueLock) Start(ctx context.Context, host component.Host) error {
	return e.lock.explain(e.Metrics.Start(ctx, host))
}

// helperBatcher is how the collector asks an exporter whether exporterhelper batches
// for it (to warn about a batch processor in front of it); the wrappers pass it on.
type helperBatcher interface{ ExporterHelperBatchingEnabled() bool }

func (e tracesQueueLock) ExporterHelperBatchingEnabled() bool {
	b, ok := e.Traces.(helperBatcher)
	return ok && b.ExporterHelperBatchingEnabled()
}

func (e metricsQueueLock) ExporterHelperBatchingEnabled() bool {
	b, ok := e.Metrics.(helperBatcher)
	return ok && b.ExporterHelperBatchingEnabled()
}
