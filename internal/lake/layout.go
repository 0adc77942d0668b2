package lake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Directories under the root that are not tables; the leading _ hides them from
// Hive-style readers.
const (
	ManifestDir = "_manifest"
	StagingDir  = "_staging"
)

// CompactorID is the writer name of files `aiusage lake compact` merged; no collector
// may take it.
const CompactorID = "compacted"

// validID is what a collector id may be: no underscore, so that the id is everything
// before the first _ of a file name.
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$`)

// CheckCollectorID reports why id cannot name a lake writer, or nil.
func CheckCollectorID(id string) error {
	switch {
	case !validID.MatchString(id):
		return fmt.Errorf("%q is not a collector id (letters, digits, . and -, starting with a letter or digit, at most 63; no _)", id)
	case id == CompactorID:
		return fmt.Errorf("%q is the name of the lake's compaction; choose another id", id)
	}
	return nil
}

// WriterOf returns the collector id a lake file name starts with, "" for a name that is
// not a lake file's.
func WriterOf(file string) string {
	base := path.Base(filepath.ToSlash(file))
	id, rest, ok := strings.Cut(base, "_")
	if !ok || !strings.HasSuffix(rest, ".parquet") || !validID.MatchString(id) {
		return ""
	}
	return id
}

// DayDir is the partition directory of a UTC day, e.g. "day=2026-12-01".
func DayDir(day time.Time) string { return "day=" + day.UTC().Format(time.DateOnly) }

// ParseDayDir reads the day of a partition directory name.
func ParseDayDir(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, "day=")
	if !ok {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

// NewID returns a random UUID (version 4) in its text form.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Quote makes s an SQL string literal (paths in COPY and read_parquet, which take no
// bound parameters).
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Ident makes s an SQL identifier.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Checksum is the sha256 of the file at p, as the manifest records it.
func Checksum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum %s: %w", p, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// syncFile flushes the file at p to stable storage.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	return nil
}

// syncDir flushes a directory's entries (a rename into it) to stable storage.
func syncDir(dir string) error {
	err := syncFile(dir)
	if errors.Is(err, os.ErrInvalid) { // file systems that cannot sync a directory
		return nil
	}
	return err
}

// moveInto renames the file at from to root/rel, creating its directory, and makes the
// rename durable: a reader sees the whole file under its final name or nothing.
func moveInto(from, root, rel string) error {
	to := filepath.Join(root, filepath.FromSlash(rel))
	if err := syncFile(from); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("lake directory for %s: %w", rel, err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("move %s into the lake: %w", rel, err)
	}
	if err := syncDir(filepath.Dir(to)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Dir(to)))
}
