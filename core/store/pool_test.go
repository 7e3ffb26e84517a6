package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// TestConnectionCap: the store opens as many connections as it is
// allowed and no more, and keeps its default when told 0.
func TestConnectionCap(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			defaults := map[string]int{"sqlite": 8, "postgres": 16}
			for _, limit := range []int{0, 3} {
				s, err := Open(ctx, db.URL, WithMaxConnections(limit))
				if err != nil {
					t.Fatal(err)
				}
				want := limit
				if limit == 0 {
					want = defaults[db.Name]
				}
				var held []*sql.Conn
				for range want {
					c, err := s.db.Conn(ctx)
					if err != nil {
						t.Fatalf("WithMaxConnections(%d): connection %d of %d: %v", limit, len(held)+1, want, err)
					}
					held = append(held, c)
				}
				waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				extra, err := s.db.Conn(waitCtx)
				cancel()
				if err == nil {
					extra.Close()
					t.Errorf("WithMaxConnections(%d): a connection beyond %d was opened", limit, want)
				} else if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("WithMaxConnections(%d): the connection beyond the cap failed with %v, want it to wait", limit, err)
				}
				for _, c := range held {
					c.Close()
				}
				s.Close()
			}
		})
	}
}

// TestSQLitePragmas: every SQLite connection, not only the first, runs
// with the settings sqliteDSN names, and the memory map is as large as
// the store was told.
func TestSQLitePragmas(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []Option
		wantMmap string
	}{
		{"default", nil, "1073741824"},
		{"no memory map", []Option{WithSQLiteMmap(0)}, "0"},
		{"64 MiB", []Option{WithSQLiteMmap(64 << 20)}, "67108864"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, "sqlite:"+t.TempDir()+"/pragmas.db", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var conns []*sql.Conn
			for range 3 {
				c, err := s.db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for i, c := range conns {
				for pragma, want := range map[string]string{
					"journal_mode": "wal", "busy_timeout": "10000", "synchronous": "2", "foreign_keys": "1", "mmap_size": tc.wantMmap,
					"journal_size_limit": "67108864",
				} {
					var got string
					if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
					}
				}
				c.Close()
			}
		})
	}
}

// TestFirstWritesAsManyAsThePoolGoThrough: as many transactions as the
// pool has connections, each the first write of its kind since the
// store opened, all commit. Each once prepared its statement on the pool
// from inside its transaction, waiting for a second connection, and
// they waited for each other until their requests gave up.
func TestFirstWritesAsManyAsThePoolGoThrough(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			const connections = 2
			migrated := openMigrated(t, db)
			migrated.Close()
			s, err := Open(context.Background(), db.URL, WithMaxConnections(connections))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for i := range 4 * connections {
				wg.Go(func() {
					// A delivery is several statements in a transaction.
					if err := s.Insert(ctx, deliveryPackage(fmt.Sprintf("guid-%d", i), "gate")); err != nil {
						t.Errorf("delivery %d: %v", i, err)
					}
				})
			}
			wg.Wait()
		})
	}
}
