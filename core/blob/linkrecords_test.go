package blob

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinkRecords: a record reads back as written, is replaced whole,
// and is gone after removal; a link path never becomes a path of its own,
// and nothing is left in the temporary directory.
func TestLinkRecords(t *testing.T) {
	l := newLocal(t)
	paths := []string{"fns/files/0001/abc/report.zip", "../../packages/00/x", "пфр/отчёт.zip", strings.Repeat("a/", 500)}
	for _, p := range paths {
		if _, err := l.LinkRecord(p); !errors.Is(err, ErrNotFound) {
			t.Errorf("LinkRecord of %q before any: %v, want ErrNotFound", p, err)
		}
		for _, record := range [][]byte{[]byte(`{"first":1}`), []byte(`{"second":"longer than the first"}`), {}} {
			if err := l.PutLinkRecord(p, record); err != nil {
				t.Fatal(err)
			}
			if got, err := l.LinkRecord(p); err != nil || !bytes.Equal(got, record) {
				t.Errorf("LinkRecord of %q: %q, %v; want %q", p, got, err, record)
			}
		}
	}
	if err := l.RemoveLinkRecord(paths[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := l.LinkRecord(paths[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("LinkRecord after removal: %v, want ErrNotFound", err)
	}
	if err := l.RemoveLinkRecord(paths[0]); err != nil {
		t.Errorf("removing a removed record: %v", err)
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files left: %v", got)
	}
	// Every record is a file two levels below dir/links, whatever its path.
	err := filepath.WalkDir(l.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(l.dir, p)
		if parts := strings.Split(rel, string(filepath.Separator)); parts[0] != "links" || len(parts) != 3 {
			t.Errorf("a record at %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLinkRecordTooLarge: a record no reader would take is refused, and
// one grown on disk past the bound is not read.
func TestLinkRecordTooLarge(t *testing.T) {
	l := newLocal(t)
	if err := l.PutLinkRecord("l", make([]byte, maxLinkRecord)); err == nil {
		t.Error("a record of maxLinkRecord bytes was written")
	}
	path := l.linkRecordPath("l")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, maxLinkRecord+1), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := l.LinkRecord("l"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("LinkRecord of an oversized file: %v, want an error", err)
	}
}
