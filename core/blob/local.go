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
	"time"
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
type Pending interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// SHA256 is the digest of the bytes written, lower-case hex.
	SHA256() string
	// Commit makes the bytes durable and stores them under id.
	Commit(ctx context.Context, id string) error
	// Abort discards the bytes. It is safe after Commit, where it does
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
// time-ordered UUID hardly change), and
// dir/tmp/<random>.part while written. Names come from package ids only,
// never from a client.
type Local struct {
	dir string
}

// NewLocal prepares the directory.
func NewLocal(dir string) (*Local, error) {
	l := &Local{dir: dir}
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
	f, err := os.CreateTemp(l.tmpDir(), "*.part")
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

// RemoveTemporary deletes every temporary file. Call it before serving:
// a temporary file then can only be left from a process that died during
// an upload, and that upload was never acknowledged.
func (l *Local) RemoveTemporary() (int, error) {
	entries, err := os.ReadDir(l.tmpDir())
	if err != nil {
		return 0, fmt.Errorf("read temporary files: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if err := os.Remove(filepath.Join(l.tmpDir(), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove temporary file: %w", err)
		}
		removed++
	}
	return removed, nil
}

// EachCommitted calls fn with the ids of the committed blobs last written
// before a time, a shard directory at a time. It lets a sweep find blobs
// whose row was never committed because the process died in between.
func (l *Local) EachCommitted(before time.Time, fn func(ids []string) error) error {
	shards, err := os.ReadDir(l.packagesDir())
	if err != nil {
		return fmt.Errorf("read blob shards: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(l.packagesDir(), shard.Name()))
		if err != nil {
			return fmt.Errorf("read blob shard: %w", err)
		}
		var ids []string
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.ModTime().Before(before) {
				continue
			}
			ids = append(ids, e.Name())
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
	}
	return nil
}

type pending struct {
	store  *Local
	file   *os.File
	digest hash.Hash
	size   int64
	done   bool
}

func (p *pending) Write(b []byte) (int, error) {
	n, err := p.file.Write(b)
	p.digest.Write(b[:n])
	p.size += int64(n)
	return n, err
}

func (p *pending) Size() int64    { return p.size }
func (p *pending) SHA256() string { return hex.EncodeToString(p.digest.Sum(nil)) }

// Commit fsyncs the file, renames it into place and fsyncs the directory,
// so that once it returns the blob survives a crash.
func (p *pending) Commit(_ context.Context, id string) error {
	final, err := p.store.path(id)
	if err != nil {
		return err
	}
	if err := p.file.Sync(); err != nil {
		return fmt.Errorf("sync blob: %w", err)
	}
	if err := p.file.Close(); err != nil {
		return fmt.Errorf("close blob: %w", err)
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("prepare blob shard: %w", err)
	}
	if err := os.Rename(p.file.Name(), final); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	p.done = true
	return syncDir(dir)
}

func (p *pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	p.file.Close()
	os.Remove(p.file.Name())
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
