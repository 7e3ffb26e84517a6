package store

import (
	"context"
	"fmt"
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

// BenchmarkLinkCache is the same lookup through the link cache, off and
// on: what a download of a link downloaded before saves.
func BenchmarkLinkCache(b *testing.B) {
	for _, s := range seededStores(b) {
		for _, entries := range []int{0, 10000} {
			b.Run(fmt.Sprintf("%s/entries=%d", s.dialect, entries), func(b *testing.B) {
				ctx := context.Background()
				links, err := NewLinkCache(s, entries)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := links.ByLink(ctx, "l/77"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
