package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/plan"
)

// readDesired reads a file whole, up to plan.MaxFileSize, whatever its
// size against the buffer it starts with, and refuses one past the limit
// before and while reading it.
func TestReadDesired(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, size int64, fill byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte{fill}, int(size)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		path    string
		stdin   io.Reader
		size    int    // the bytes wanted, when read
		wantErr string // else this error
	}{
		{name: "empty file", path: file("empty.yaml", 0, 'x'), size: 0},
		{name: "one byte", path: file("one.yaml", 1, 'x'), size: 1},
		{name: "MinRead bytes", path: file("minread.yaml", bytes.MinRead, 'x'), size: bytes.MinRead},
		{name: "a large file", path: file("large.yaml", 3<<20+7, 'x'), size: 3<<20 + 7},
		{name: "at the limit", path: sparse("limit.yaml", plan.MaxFileSize), size: plan.MaxFileSize},
		{name: "past the limit", path: sparse("past.yaml", plan.MaxFileSize+1), wantErr: "64.0 MiB (67108865 bytes); the limit is 64 MiB"},
		{name: "stdin", path: "-", stdin: strings.NewReader("version: 1\n"), size: 11},
		{name: "stdin past the limit", path: "-", stdin: io.LimitReader(zeros{}, plan.MaxFileSize+1), wantErr: "more than 64 MiB; the limit is 64 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{stdin: tc.stdin}
			_, data, err := readDesired(e, tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.path == "-" {
				if got := string(data); got != "version: 1\n" {
					t.Fatalf("stdin read as %q", got)
				}
				return
			}
			want, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != tc.size || !bytes.Equal(data, want) {
				t.Fatalf("read %d bytes, want the file's %d: %s", len(data), tc.size, cmp.Diff(len(want), len(data)))
			}
		})
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A desired-state file is read into one buffer of its size: on a
// 100,000-user file (23 MB) io.ReadAll's doubling allocated and copied
// more than twice that.
func TestReadDesiredOneBuffer(t *testing.T) {
	const size = 8<<20 + 3
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, size), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, data, err := readDesired(&env{}, p)
	runtime.ReadMemStats(&after)
	if err != nil || len(data) != size {
		t.Fatalf("read %d bytes, %v", len(data), err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > size*5/4 {
		t.Errorf("reading a %d-byte file allocated %d bytes, want at most %d: one buffer of the file's size", size, got, size*5/4)
	}
}
