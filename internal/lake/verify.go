package lake

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Problem is one way the lake differs from its manifest.
type Problem struct {
	// Kind is missing, size, checksum, rows, unreadable, listed twice, writer or
	// unrecorded.
	Kind string
	// File is the data file, under the root.
	File string
	// Detail says what was found against what the manifest says.
	Detail string
}

// Verified is what Verify found.
type Verified struct {
	// Files, Rows and Bytes are the live files and what the manifest says they hold.
	Files       int
	Rows, Bytes int64
	// Replaced are files a compaction replaced that are still there (it deletes them
	// after writing its manifest; a run interrupted between leaves them).
	Replaced []string
	Problems []Problem
}

// Problem kinds.
const (
	ProblemMissing    = "missing"
	ProblemSize       = "size"
	ProblemChecksum   = "checksum"
	ProblemRows       = "rows"
	ProblemUnreadable = "unreadable"
	ProblemTwice      = "listed twice"
	ProblemWriter     = "writer"
	ProblemUnrecorded = "unrecorded"
	unrecordedDetail  = "no manifest lists it: being written by a collector, or left by a crash (the collector that wrote it removes it when it restarts)"
)

// Verify checks every live manifest entry against its file (present, size, rows from
// the file's footer, and, with checksums, the sha256 of its bytes), and lists the data
// files no manifest lists.
func Verify(ctx context.Context, q Querier, root string, checksums bool) (*Verified, error) {
	entries, err := ReadManifest(ctx, q, root, zeroDay)
	if err != nil {
		return nil, err
	}
	v := &Verified{}
	listed := map[string]int{}
	replaced := map[string]bool{}
	for _, e := range entries {
		listed[e.File]++
		for _, r := range e.Replaces {
			replaced[r] = true
		}
	}
	live := Live(entries)
	var present []Entry
	for _, e := range live {
		v.Files++
		v.Rows += e.Rows
		v.Bytes += e.Bytes
		if listed[e.File] > 1 {
			v.Problems = append(v.Problems, Problem{ProblemTwice, e.File, fmt.Sprintf("in %d manifest entries", listed[e.File])})
			listed[e.File] = 1 // report it once
		}
		if w := WriterOf(e.File); w != e.Writer {
			v.Problems = append(v.Problems, Problem{ProblemWriter, e.File, fmt.Sprintf("named for %q, the manifest says %q wrote it", w, e.Writer)})
		}
		st, err := os.Stat(FilePath(root, e.File))
		switch {
		case err != nil:
			v.Problems = append(v.Problems, Problem{ProblemMissing, e.File, err.Error()})
			continue
		case st.Size() != e.Bytes:
			v.Problems = append(v.Problems, Problem{ProblemSize, e.File, fmt.Sprintf("%d bytes, the manifest says %d", st.Size(), e.Bytes)})
		}
		if checksums {
			sum, err := Checksum(FilePath(root, e.File))
			if err != nil {
				v.Problems = append(v.Problems, Problem{ProblemUnreadable, e.File, err.Error()})
				continue
			}
			if sum != e.Checksum {
				v.Problems = append(v.Problems, Problem{ProblemChecksum, e.File, fmt.Sprintf("%s, the manifest says %s", sum, e.Checksum)})
			}
		}
		present = append(present, e)
	}
	for _, e := range present {
		var rows int64
		if err := queryRow(ctx, q, `SELECT num_rows FROM parquet_file_metadata(`+Quote(FilePath(root, e.File))+`)`, &rows); err != nil {
			v.Problems = append(v.Problems, Problem{ProblemUnreadable, e.File, strings.SplitN(err.Error(), "\n", 2)[0]})
			continue
		}
		if rows != e.Rows {
			v.Problems = append(v.Problems, Problem{ProblemRows, e.File, fmt.Sprintf("%d rows, the manifest says %d", rows, e.Rows)})
		}
	}
	files, err := dataFiles(root)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		switch {
		case replaced[f]:
			v.Replaced = append(v.Replaced, f)
		case listed[f] == 0:
			v.Problems = append(v.Problems, Problem{ProblemUnrecorded, f, unrecordedDetail})
		}
	}
	slices.SortStableFunc(v.Problems, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
	return v, nil
}

// dataFiles lists the Parquet files under the table directories of root ('/'-separated,
// under root), leaving out the hidden directories (_manifest, _staging).
func dataFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the files of lake %s: %w", root, err)
	}
	return out, nil
}
