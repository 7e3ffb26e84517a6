package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// temporaries lists the files in the temporary directory.
func temporaries(t *testing.T, l *Local) []string {
	t.Helper()
	entries, err := os.ReadDir(l.tmpDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// put stores a blob under id.
func put(t *testing.T, l *Local, id string, content []byte) {
	t.Helper()
	ctx := context.Background()
	p, err := l.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	if _, err := p.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, id); err != nil {
		t.Fatalf("Commit(%q): %v", id, err)
	}
	if err := p.Settle(); err != nil {
		t.Fatalf("Settle(%q): %v", id, err)
	}
}

// stored lists the committed blobs' files.
func stored(t *testing.T, l *Local) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(l.packagesDir(), "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func read(t *testing.T, l *Local, id string) []byte {
	t.Helper()
	obj, err := l.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("Open(%q): %v", id, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const id = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	content := bytes.Repeat([]byte("PK\x03\x04 package bytes "), 10000)

	p, err := l.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	if p.Size() != 0 {
		t.Errorf("Size() of an empty blob = %d", p.Size())
	}
	// Written in uneven pieces, as a multipart reader hands them over.
	for rest := content; len(rest) > 0; {
		n := min(len(rest), 4093)
		if w, err := p.Write(rest[:n]); err != nil || w != n {
			t.Fatalf("Write = %d, %v", w, err)
		}
		rest = rest[n:]
	}
	sum := sha256.Sum256(content)
	if p.Size() != int64(len(content)) {
		t.Errorf("Size() = %d, want %d", p.Size(), len(content))
	}
	if p.SHA256() != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256() = %s, want %x", p.SHA256(), sum)
	}
	if _, err := l.Open(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open before Commit: %v, want ErrNotFound", err)
	}
	if len(temporaries(t, l)) != 1 {
		t.Errorf("temporary files %v, want one while writing", temporaries(t, l))
	}
	if err := p.Commit(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Until the row is committed, one note says the blob is not settled.
	if got := temporaries(t, l); !slices.Equal(got, []string{id + ".pending"}) {
		t.Errorf("temporary files %v after Commit, want the pending note", got)
	}
	if err := p.Settle(); err != nil {
		t.Fatal(err)
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left after Settle", got)
	}
	if got := read(t, l, id); !bytes.Equal(got, content) {
		t.Errorf("Open read %d bytes, want the %d written", len(got), len(content))
	}
	// The digest and size stay readable after Commit.
	if p.Size() != int64(len(content)) || p.SHA256() != hex.EncodeToString(sum[:]) {
		t.Errorf("after Commit: Size %d, SHA256 %s", p.Size(), p.SHA256())
	}

	// The object seeks, as http.ServeContent needs for Range.
	obj, err := l.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if _, err := obj.Seek(int64(len(content))-5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(obj)
	if !bytes.Equal(tail, content[len(content)-5:]) {
		t.Errorf("after Seek read %q", tail)
	}
}

func TestEmptyBlob(t *testing.T) {
	l := newLocal(t)
	const id = "00000000-0000-0000-0000-000000000001"
	put(t, l, id, nil)
	if got := read(t, l, id); len(got) != 0 {
		t.Errorf("read %q", got)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	p, err := l.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("half an upload")); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left after Abort", got)
	}
	p.Abort() // twice is harmless
	if got := stored(t, l); len(got) != 0 {
		t.Errorf("blobs %v stored after Abort", got)
	}
}

// TestAbortAfterCommitRemovesTheBlob is the path of a row that failed to
// commit: the bytes and their pending note go.
func TestAbortAfterCommitRemovesTheBlob(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const id = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	p, err := l.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("not recorded"))
	if err := p.Commit(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := read(t, l, id); string(got) != "not recorded" {
		t.Fatalf("committed blob reads %q", got)
	}
	p.Abort()
	if got := stored(t, l); len(got) != 0 {
		t.Errorf("blobs %v left after Abort", got)
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left after Abort", got)
	}
}

func TestAbortAfterSettleKeepsTheBlob(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const id = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	p, err := l.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("kept"))
	if err := p.Commit(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := p.Settle(); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if got := read(t, l, id); string(got) != "kept" {
		t.Errorf("after Abort read %q, want kept", got)
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left after Settle", got)
	}
}

func TestCommitReplacesNoOtherBlob(t *testing.T) {
	l := newLocal(t)
	put(t, l, "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", []byte("one"))
	put(t, l, "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c", []byte("two"))
	if got := read(t, l, "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"); string(got) != "one" {
		t.Errorf("read %q", got)
	}
	if got := read(t, l, "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c"); string(got) != "two" {
		t.Errorf("read %q", got)
	}
}

func TestRemovePartial(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const kept = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	put(t, l, kept, []byte("committed"))
	var pending []Pending
	for range 3 {
		p, err := l.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Write([]byte("in flight when the process died"))
		pending = append(pending, p)
	}
	n, err := l.RemovePartial()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("RemovePartial removed %d, want 3", n)
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left", got)
	}
	if got := read(t, l, kept); string(got) != "committed" {
		t.Errorf("the committed blob reads %q", got)
	}
	for _, p := range pending {
		p.Abort() // the file is gone already; Abort does not mind
	}
	if n, err := l.RemovePartial(); err != nil || n != 0 {
		t.Errorf("RemovePartial of nothing = %d, %v", n, err)
	}
}

// TestUnsettledNamesOnlyTheUploadsInFlight commits two blobs whose
// process "dies" before their rows commit, beside settled ones: Unsettled
// names exactly the two, and Settle and Discard resolve them without
// touching anything else.
func TestUnsettledNamesOnlyTheUploadsInFlight(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	settledIDs := []string{"0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a01", "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a02"}
	for _, id := range settledIDs {
		put(t, l, id, []byte(id))
	}
	const recorded, unrecorded = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a03", "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a04"
	for _, id := range []string{recorded, unrecorded} {
		p, err := l.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Write([]byte(id))
		if err := p.Commit(ctx, id); err != nil {
			t.Fatal(err)
		}
		// The process dies here: neither Settle nor Abort runs.
	}
	// A partial upload beside them is RemovePartial's, not Unsettled's.
	if p, err := l.Create(ctx); err == nil {
		p.Write([]byte("partial"))
	}
	got, err := l.Unsettled()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{recorded, unrecorded}) {
		t.Fatalf("Unsettled = %v, want the two committed blobs", got)
	}
	if err := l.Settle(recorded); err != nil {
		t.Fatal(err)
	}
	if err := l.Discard(ctx, unrecorded); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Unsettled(); len(got) != 0 {
		t.Fatalf("still unsettled: %v", got)
	}
	for _, id := range append(settledIDs, recorded) {
		if got := read(t, l, id); string(got) != id {
			t.Errorf("%s reads %q", id, got)
		}
	}
	if _, err := l.Open(ctx, unrecorded); !errors.Is(err, ErrNotFound) {
		t.Errorf("the discarded blob opens: %v", err)
	}
	if len(stored(t, l)) != 3 {
		t.Errorf("stored %v, want three", stored(t, l))
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const id = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"
	put(t, l, id, []byte("x"))
	if err := l.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Open(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Remove: %v, want ErrNotFound", err)
	}
	if err := l.Remove(ctx, id); err != nil {
		t.Errorf("Remove of a removed blob: %v", err)
	}
	if err := l.Remove(ctx, "0190a5b2-7c3d-7e4f-8a9b-000000000000"); err != nil {
		t.Errorf("Remove of a blob never stored: %v", err)
	}
}

// TestIDsStayInTheDirectory tries ids that would be paths elsewhere.
func TestIDsStayInTheDirectory(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	l, err := NewLocal(filepath.Join(root, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	// A file beside the storage directory, and one inside it, that a
	// crafted id could reach.
	outside := filepath.Join(root, "victim")
	if err := os.WriteFile(outside, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(l.packagesDir(), "ab", "victim")
	if err := os.MkdirAll(filepath.Dir(inside), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inside, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{
		"../../victim", "../victim", "..", ".", "", "ab", "/etc/passwd", `..\..\victim`,
		"ab/victim", "x/../../../victim", "victim/..", "a.b.c",
	} {
		if _, err := l.Open(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v, want ErrNotFound", id, err)
		}
		if err := l.Remove(ctx, id); err == nil {
			t.Errorf("Remove(%q) succeeded", id)
		}
		p, err := l.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Write([]byte("evil"))
		if err := p.Commit(ctx, id); err == nil {
			t.Errorf("Commit(%q) succeeded", id)
		}
		p.Abort()
	}
	for _, path := range []string{outside, inside} {
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Errorf("%s: %q, %v; want it untouched", path, b, err)
		}
	}
	if got := temporaries(t, l); len(got) != 0 {
		t.Errorf("temporary files %v left after the refused commits were aborted", got)
	}
	// Nothing was written anywhere under root but the two files.
	var files []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	want := []string{inside, outside}
	sort.Strings(want)
	if !slices.Equal(files, want) {
		t.Errorf("files under the root: %v, want only %v", files, want)
	}
}
