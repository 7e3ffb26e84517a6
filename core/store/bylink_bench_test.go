package store

import (
	"context"
	"testing"
)

// BenchmarkByLink is the database's share of a download: the link lookup.
func BenchmarkByLink(b *testing.B) {
	for _, s := range seededStores(b) {
		b.Run(string(s.dialect), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ByLink(ctx, "l/77"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
