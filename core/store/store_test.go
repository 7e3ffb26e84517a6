package store_test

import (
	"context"
	"testing"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/store/storetest"
)

// open returns a migrated store per backend.
func open(t *testing.T) map[string]*store.Store {
	t.Helper()
	out := map[string]*store.Store{}
	for _, db := range storetest.Databases(t) {
		st, err := store.Open(context.Background(), db.URL)
		if err != nil {
			t.Fatalf("%s: open: %v", db.Name, err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatalf("%s: migrate: %v", db.Name, err)
		}
		out[db.Name] = st
	}
	return out
}

func TestMigrateTwiceAppliesNothingNew(t *testing.T) {
	for name, st := range open(t) {
		t.Run(name, func(t *testing.T) {
			applied, err := st.Migrate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != 0 {
				t.Fatalf("second migrate applied %v", applied)
			}
		})
	}
}
