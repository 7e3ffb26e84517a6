package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// LockOutbox lets the external tests hold an upload's transaction open
// the way Insert does.
func (s *Store) LockOutbox(ctx context.Context, tx *sqlx.Tx, direction string) error {
	return s.lockOutbox(ctx, tx, direction)
}
