package store

import (
	"context"
	"testing"
)

// BenchmarkEachInbound reads a gate's list of a hundred packages for the
// fields a PFR list shows, the regnum among them out of each row's
// attributes, the store's share of the list route, on each backend.
func BenchmarkEachInbound(b *testing.B) {
	for _, s := range seededStores(b) {
		b.Run(string(s.dialect), func(b *testing.B) {
			ctx := context.Background()
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
