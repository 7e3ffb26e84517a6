package store

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/blob"
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
				links, err := NewLinkCache(s, entries, nil)
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

// BenchmarkLinkRecord is the lookup of a link not in memory, as a
// package's first download makes it: from its link record, against the
// database's BenchmarkByLink.
func BenchmarkLinkRecord(b *testing.B) {
	for _, s := range seededStores(b) {
		b.Run(string(s.dialect), func(b *testing.B) {
			ctx := context.Background()
			records, err := blob.NewLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			links, err := NewLinkCache(s, 0, records)
			if err != nil {
				b.Fatal(err)
			}
			// The first lookup reads the database; its answer is recorded
			// as the download handler records it.
			p, cached, err := links.ByLink(ctx, "l/77")
			if err != nil || cached {
				b.Fatalf("first lookup: cached %v, %v", cached, err)
			}
			if err := links.Record("l/77", p); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, cached, err := links.ByLink(ctx, "l/77"); err != nil || !cached {
					b.Fatalf("cached %v, %v", cached, err)
				}
			}
		})
	}
}

// BenchmarkLinkCacheMemory reports what a full link cache holds in the
// heap per link, with links and names as long as FNS's, and only the
// columns ByLink reads.
func BenchmarkLinkCacheMemory(b *testing.B) {
	const entries = 10000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		links, err := NewLinkCache(nil, entries, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i := range entries {
			guid := fmt.Sprintf("%08X-1063-46E1-ABA5-9CBF059E98CB", i)
			name := fmt.Sprintf("FNS_8076_2BE%s_179c1f485999153a44f655f9d2475741_07_05_03.zip", guid)
			links.recent.Add(fmt.Sprintf("files/gate0001/%s/%032x/%s", guid, i, name), targetOf(&Package{
				ID: fmt.Sprintf("01a242ea-65e1-7963-bc37-%012x", i), Direction: strings.Clone("fns"), Kind: KindInbound,
				Filename: name, Size: 1 << 20, SHA256: fmt.Sprintf("%064x", i), DateIn: Time{Time: time.Now()},
			}))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/entries, "B/link")
		runtime.KeepAlive(links)
	}
}
