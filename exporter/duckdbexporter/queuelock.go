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
	held := lockHolders(q.file)
	switch len(held) {
	case 0:
		return fmt.Errorf("sending queue on %s: its file %s is locked by another process, most likely another collector using the same directory; stop it or configure another directory for %s: %w",
			q.storage, q.file, q.storage, err)
	case 1:
		return fmt.Errorf("sending queue on %s: %s; two collectors cannot share the queue directory %s: stop the other one or configure another directory for %s: %w",
			q.storage, held[0], filepath.Dir(held[0].path), q.storage, err)
	}
	// Several collectors on this host hold a file of that name, each in its own
	// directory or not: which one is ours is not known here, so name them all.
	var each []string
	for _, h := range held {
		each = append(each, fmt.Sprintf("%s (two collectors cannot share the queue directory %s)", h, filepath.Dir(h.path)))
	}
	return fmt.Errorf("sending queue on %s: its file is locked; files of that name: %s; stop the collector using this directory or configure another directory for %s: %w",
		q.storage, strings.Join(each, "; "), q.storage, err)
}

// lockHolder is a flock on a queue file and the process holding it.
type lockHolder struct {
	path, holder string
}

func (h lockHolder) String() string { return h.path + " is locked by " + h.holder }

// lockHolders finds the processes holding a flock on a file named name, from
// /proc/locks and each process's open files. It returns none where /proc is not
// available or not readable.
func lockHolders(name string) []lockHolder {
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil
	}
	var held []lockHolder
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
			held = append(held, lockHolder{path, processName(pid)})
		}
	}
	return held
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
