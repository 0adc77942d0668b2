package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Compacted is what compacting one table of one day did.
type Compacted struct {
	Table string
	Day   time.Time
	// Files is how many files were merged; Rows how many rows they held and Kept how
	// many the merged file holds (copies of a row kept once).
	Files      int
	Rows, Kept int64
	// File is the merged file, under the root.
	File string
}

// Compact merges, for each UTC day in days (every day with a manifest when empty),
// the files of each table that has more than one into one file, keeping one row per
// key as readers would. The merged file goes into the lake and into a new manifest
// that lists the files it replaces, and only then are those deleted: a reader sees the
// old files or the new one, never both, never neither. A collector may archive into
// the lake meanwhile; its new files stay as they are. One compaction runs at a time
// (a lock file under the root).
func Compact(ctx context.Context, q Querier, root string, days []time.Time, now time.Time) ([]Compacted, error) {
	unlock, err := lockCompaction(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if len(days) == 0 {
		if days, err = manifestDays(root); err != nil {
			return nil, err
		}
	}
	var out []Compacted
	for _, day := range days {
		done, err := compactDay(ctx, q, root, day.UTC(), now)
		out = append(out, done...)
		if err != nil {
			return out, fmt.Errorf("compact %s: %w", day.Format(time.DateOnly), err)
		}
	}
	return out, nil
}

func compactDay(ctx context.Context, q Querier, root string, day, now time.Time) ([]Compacted, error) {
	entries, err := ReadManifest(ctx, q, root, day)
	if err != nil {
		return nil, err
	}
	live := Live(entries)
	staging := filepath.Join(root, StagingDir, CompactorID)
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("clear %s: %w", staging, err)
	}
	defer os.RemoveAll(staging)
	run := NewID()
	var (
		staged   []Staged
		done     []Compacted
		replaces = map[string][]string{}
	)
	for _, t := range Tables {
		if !t.Daily() {
			continue
		}
		var files []Entry
		var replaced []string
		for _, e := range live {
			if e.Table == t.Name {
				files = append(files, e)
				// A file compacted before carries on what it replaced, so that no
				// manifest deleted below leaves a replaced file listed as live.
				replaced = append(append(replaced, e.File), e.Replaces...)
			}
		}
		if len(files) < 2 {
			continue
		}
		cols, err := describeSQL(ctx, q, filesSQL(root, t, files))
		if err != nil {
			return done, err
		}
		var rows int64
		for _, f := range files {
			rows += f.Rows
		}
		out, kept, err := CopyOut(ctx, q, t, day, combineSQL(t, cols, filesSQL(root, t, files)), staging, CompactorID)
		if err != nil {
			return done, err
		}
		if len(out) != 1 {
			return done, fmt.Errorf("%s: DuckDB wrote %d files, want 1", t.Name, len(out))
		}
		staged = append(staged, out...)
		replaces[t.Name] = replaced
		done = append(done, Compacted{Table: t.Name, Day: day, Files: len(files), Rows: rows, Kept: kept})
	}
	if len(staged) == 0 {
		return nil, nil
	}
	placed, err := Place(ctx, q, root, staged)
	if err != nil {
		return done, err
	}
	for i := range placed {
		placed[i].Writer, placed[i].Run, placed[i].WrittenAt = CompactorID, run, now.UTC()
		placed[i].Replaces = replaces[placed[i].Table]
		done[i].File = placed[i].File
	}
	if _, err := WriteManifest(ctx, q, root, staging, placed); err != nil {
		return done, err
	}
	// From here readers use the merged files: the replaced ones can go, then every
	// manifest of the day that lists only replaced files.
	gone := map[string]bool{}
	for _, e := range placed {
		for _, r := range e.Replaces {
			gone[r] = true
			if err := os.Remove(FilePath(root, r)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return done, fmt.Errorf("remove replaced %s: %w", r, err)
			}
		}
	}
	return done, removeReplacedManifests(entries, gone, root)
}

// removeReplacedManifests deletes the manifest files all of whose entries are gone.
func removeReplacedManifests(entries []Entry, gone map[string]bool, root string) error {
	byManifest := map[string][]Entry{}
	for _, e := range entries {
		byManifest[e.Manifest] = append(byManifest[e.Manifest], e)
	}
	for m, es := range byManifest {
		if m == "" || slices.ContainsFunc(es, func(e Entry) bool { return !gone[e.File] }) {
			continue
		}
		if err := os.Remove(FilePath(root, m)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove replaced manifest %s: %w", m, err)
		}
	}
	return nil
}

// describeSQL returns the columns a SELECT returns.
func describeSQL(ctx context.Context, q Querier, query string) ([]column, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, column_type FROM (DESCRIBE `+query+`)`)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// manifestDays lists the days that have a manifest directory.
func manifestDays(root string) ([]time.Time, error) {
	dirs, err := os.ReadDir(filepath.Join(root, ManifestDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the manifest of %s: %w", root, err)
	}
	var days []time.Time
	for _, d := range dirs {
		if day, ok := ParseDayDir(d.Name()); ok && d.IsDir() {
			days = append(days, day)
		}
	}
	return days, nil
}

// lockCompaction takes the lake's compaction lock, or says who holds it.
func lockCompaction(root string) (func(), error) {
	p := filepath.Join(root, "_compact.lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("compaction lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("compaction lock %s: another compaction of this lake is running: %w", p, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
