package store

import (
	"context"
	"testing"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// BenchmarkEachInbound reads a gate's list of a hundred packages for the
// fields a PFR list shows, the store's share of the list route, on each
// backend.
func BenchmarkEachInbound(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, db.URL)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			seedForPlans(b, s, 20000)
			// gate7 of pfr and ao4 in the seed: a few hundred rows.
			f := InboundFilter{Direction: "pfr", Type: "ao4", Gate: "gate7"}
			fields := ShapeFor([]string{"uid", "guid", "regnum", "filename", "date_in", "link"})
			rows := 0
			if err := s.EachInbound(ctx, f, fields, func(r *Row) error { rows++; r.Value("regnum"); return nil }); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.EachInbound(ctx, f, fields, func(r *Row) error { r.Value("regnum"); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}
