package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinkRecord bounds a link record; what a download needs of a package
// takes a few hundred bytes.
const maxLinkRecord = 4 << 10

// Link records are small files beside the bytes,
// dir/links/<first two hex digits>/<rest of the SHA-256 of the link path>,
// each holding what a download needs to know of the package its link
// names. Resolving a link then costs an open instead of a round trip to
// the database, and every host on the same storage shares them.
//
// They are a cache of the database, never its replacement: a record may
// be missing, left over or unreadable, and its reader then asks the
// database. So records are written without fsync, and their contents
// are the caller's to check.

// LinkRecord reads the record of a link path, or returns ErrNotFound.
func (l *Local) LinkRecord(linkPath string) ([]byte, error) {
	f, err := os.Open(l.linkRecordPath(linkPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("link record: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open link record: %w", err)
	}
	defer f.Close()
	// One read into a buffer larger than any record: os.ReadFile would
	// add a stat and a read to see the end.
	buf := l.recordBuffers.Get().(*[maxLinkRecord]byte)
	defer l.recordBuffers.Put(buf)
	n, err := io.ReadFull(f, buf[:])
	switch {
	case err == nil:
		return nil, fmt.Errorf("link record of more than %d bytes", maxLinkRecord)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return bytes.Clone(buf[:n]), nil
	default:
		return nil, fmt.Errorf("read link record: %w", err)
	}
}

// PutLinkRecord writes the record of a link path, replacing any other in
// one rename, so a reader sees a whole record or none.
func (l *Local) PutLinkRecord(linkPath string, record []byte) error {
	if len(record) >= maxLinkRecord {
		return fmt.Errorf("link record of %d bytes, more than %d", len(record), maxLinkRecord)
	}
	final := l.linkRecordPath(linkPath)
	// The temporary file is named like an upload's, so that one left by a
	// crash is removed with them at the next start.
	f, err := os.CreateTemp(l.tmpDir(), "*"+partSuffix)
	if err != nil {
		return fmt.Errorf("create link record: %w", err)
	}
	_, err = f.Write(record)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(final), 0o750); err == nil {
			err = os.Rename(f.Name(), final)
		}
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write link record: %w", err)
	}
	return nil
}

// RemoveLinkRecord deletes the record of a link path; a missing one is
// not an error.
func (l *Local) RemoveLinkRecord(linkPath string) error {
	if err := os.Remove(l.linkRecordPath(linkPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove link record: %w", err)
	}
	return nil
}

// linkRecordPath names a record by the digest of its link path: link
// paths come from clients and plugins, and a digest is a safe file name
// of fixed length whose first digits spread records evenly over the
// shards.
func (l *Local) linkRecordPath(linkPath string) string {
	sum := sha256.Sum256([]byte(linkPath))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(l.dir, "links", name[:2], name[2:])
}
