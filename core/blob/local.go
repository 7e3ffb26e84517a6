// Package blob keeps package bytes. Local keeps them in a directory; the
// Store interface leaves room for an S3-compatible store beside it.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Store keeps package bytes by package id.
type Store interface {
	// Create starts a new blob; nothing is visible until Commit.
	Create(ctx context.Context) (Pending, error)
	// Open returns a stored blob for reading.
	Open(ctx context.Context, id string) (Object, error)
	// Remove deletes a stored blob; a missing one is not an error.
	Remove(ctx context.Context, id string) error
}

// Pending is a blob being written. Its bytes are hashed as they arrive.
// Its life is Write, Commit, then Settle once the package's row is
// committed; Abort at any point before Settle leaves nothing behind.
type Pending interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// SHA256 is the digest of the bytes written, lower-case hex.
	SHA256() string
	// Commit makes the bytes durable and readable under id, and marks them
	// unsettled until Settle, so that a crash before the row commits can
	// be undone exactly.
	Commit(ctx context.Context, id string) error
	// Settle records that the package's row is committed.
	Settle() error
	// Abort discards the bytes, committed or not. After Settle it does
	// nothing, so callers can defer it.
	Abort()
}

// Object is a stored blob. A local blob is the *os.File itself, which lets
// net/http send it with sendfile.
type Object = io.ReadSeekCloser

// ErrNotFound is a blob that is not stored.
var ErrNotFound = errors.New("blob not found")

// Local stores blobs as files: dir/packages/<last two hex digits of the
// id>/<id> once committed (the last digits, because the first digits of a
// time-ordered UUID hardly change), dir/tmp/<random>.part while written,
// and a hard link dir/tmp/<id>.pending from Commit until Settle. Names
// come from package ids only, never from a client. Link records live
// beside them in dir/links (linkrecords.go).
//
// The .pending link is a journal of one entry per upload in flight: after
// a crash, Unsettled names exactly the blobs whose row may never have
// been committed, so recovery checks those and touches nothing else.
type Local struct {
	dir string
	// recordBuffers lends LinkRecord a buffer larger than any record:
	// allocated fresh, it would be 4 KiB of garbage a download.
	recordBuffers sync.Pool
}

// NewLocal prepares the directory.
func NewLocal(dir string) (*Local, error) {
	l := &Local{dir: dir}
	l.recordBuffers.New = func() any { return new([maxLinkRecord]byte) }
	for _, d := range []string{l.tmpDir(), l.packagesDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("prepare storage: %w", err)
		}
	}
	return l, nil
}

func (l *Local) tmpDir() string      { return filepath.Join(l.dir, "tmp") }
func (l *Local) packagesDir() string { return filepath.Join(l.dir, "packages") }

// path is where a committed blob lives. Ids are UUIDs, checked here so a
// malformed id can never become a path outside the directory.
func (l *Local) path(id string) (string, error) {
	if len(id) < 3 || strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("blob id %q: %w", id, ErrNotFound)
	}
	return filepath.Join(l.packagesDir(), id[len(id)-2:], id), nil
}

// Create opens a temporary file in dir/tmp.
func (l *Local) Create(context.Context) (Pending, error) {
	f, err := os.CreateTemp(l.tmpDir(), "*"+partSuffix)
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return &pending{store: l, file: f, digest: sha256.New()}, nil
}

// Open opens a committed blob.
func (l *Local) Open(_ context.Context, id string) (Object, error) {
	path, err := l.path(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	return f, nil
}

// Remove deletes a committed blob.
func (l *Local) Remove(_ context.Context, id string) error {
	path, err := l.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove blob %s: %w", id, err)
	}
	return nil
}

// partSuffix and pendingSuffix name the two kinds of file in dir/tmp.
const (
	partSuffix    = ".part"
	pendingSuffix = ".pending"
)

// RemovePartial deletes the files of uploads that were still being
// written. Call it before serving: such a file can only be left by a
// process that died during an upload, which was never answered.
func (l *Local) RemovePartial() (int, error) {
	entries, err := os.ReadDir(l.tmpDir())
	if err != nil {
		return 0, fmt.Errorf("read temporary files: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), partSuffix) {
			continue
		}
		if err := os.Remove(filepath.Join(l.tmpDir(), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove temporary file: %w", err)
		}
		removed++
	}
	return removed, nil
}

// Unsettled lists the ids of blobs committed but never settled: after a
// crash, those whose package row may not exist. The caller settles the
// ones that have a row and discards the others.
func (l *Local) Unsettled() ([]string, error) {
	entries, err := os.ReadDir(l.tmpDir())
	if err != nil {
		return nil, fmt.Errorf("read temporary files: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), pendingSuffix); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Settle records that an unsettled blob's row exists.
func (l *Local) Settle(id string) error {
	if _, err := l.path(id); err != nil {
		return err
	}
	if err := os.Remove(l.pendingPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("settle blob %s: %w", id, err)
	}
	return nil
}

// Discard removes an unsettled blob whose row does not exist.
func (l *Local) Discard(ctx context.Context, id string) error {
	if err := l.Remove(ctx, id); err != nil {
		return err
	}
	return l.Settle(id)
}

func (l *Local) pendingPath(id string) string {
	return filepath.Join(l.tmpDir(), id+pendingSuffix)
}

type pending struct {
	store  *Local
	file   *os.File
	digest hash.Hash
	size   int64
	id     string // set by Commit
	state  pendingState
}

type pendingState int

const (
	writing pendingState = iota
	committed
	settled
	aborted
)

func (p *pending) Write(b []byte) (int, error) {
	n, err := p.file.Write(b)
	p.digest.Write(b[:n])
	p.size += int64(n)
	return n, err
}

func (p *pending) Size() int64    { return p.size }
func (p *pending) SHA256() string { return hex.EncodeToString(p.digest.Sum(nil)) }

// Commit links the file into place under id and fsyncs the file and the
// shard's directory, so that once it returns the blob survives a crash.
// Both fsyncs must finish before the caller commits the package's row; run
// together, the filesystem can serve them with one journal commit instead
// of two. The name in the shard is no promise to anyone until that row
// exists, so it may appear before the bytes are durable.
//
// The file reaches the shard through tmp/<id>.pending, the note that
// stays until Settle. Its rename is not fsynced on its own: a process
// crash cannot lose it, and a power cut that did would leave, at worst,
// bytes that no row names, never a row without its bytes.
func (p *pending) Commit(_ context.Context, id string) error {
	final, err := p.store.path(id)
	if err != nil {
		return err
	}
	marker := p.store.pendingPath(id)
	if err := os.Rename(p.file.Name(), marker); err != nil {
		return fmt.Errorf("mark blob pending: %w", err)
	}
	p.id, p.state = id, committed
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("prepare blob shard: %w", err)
	}
	if err := os.Link(marker, final); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	dirSynced := make(chan error, 1)
	go func() { dirSynced <- syncDir(dir) }()
	fileErr := p.file.Sync()
	if err := p.file.Close(); err != nil && fileErr == nil {
		fileErr = err
	}
	if err := <-dirSynced; err != nil {
		return err
	}
	if fileErr != nil {
		return fmt.Errorf("sync blob: %w", fileErr)
	}
	return nil
}

// Settle drops the pending note. It needs no fsync: a note that outlives
// a crash only makes recovery look the row up and settle it then.
func (p *pending) Settle() error {
	if p.state != committed {
		return fmt.Errorf("settle a blob that is not committed")
	}
	p.state = settled
	return p.store.Settle(p.id)
}

func (p *pending) Abort() {
	switch p.state {
	case writing:
		p.file.Close()
		os.Remove(p.file.Name())
	case committed:
		// A Commit that failed may have left the file open.
		p.file.Close()
		// Removing the blob first: if the process dies in between, the
		// note that remains makes recovery finish the job.
		p.store.Discard(context.Background(), p.id)
	}
	if p.state != settled {
		p.state = aborted
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open blob shard: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync blob shard: %w", err)
	}
	return nil
}
