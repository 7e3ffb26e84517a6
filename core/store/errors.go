package store

import (
	"database/sql"
	"errors"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrNotFound is a lookup that matched no row.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate is an insert that broke a unique key.
	ErrDuplicate = errors.New("duplicate key")
	// ErrGateConflict is a package whose guid already belongs to another
	// gate in its direction.
	ErrGateConflict = errors.New("the guid belongs to another gate")
)

// mapError turns the drivers' own errors into the store's.
func mapError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return errors.Join(ErrDuplicate, err)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errors.Join(ErrDuplicate, err)
		}
	}
	return err
}
