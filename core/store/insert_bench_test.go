package store

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkConcurrentInsert is uploads' rows committed by 16 writers at
// once on SQLite, durably. It reports the 99th percentile of one insert's
// wait beside the mean: with the writers left to SQLite's busy handler
// (queued=false) they sleep and retry, and the tail grows long; queued in
// the process, those that wait behind a commit share the next one
// (commit, a batchQueue).
func BenchmarkConcurrentInsert(b *testing.B) {
	for _, queued := range []bool{true, false} {
		name := "queued"
		if !queued {
			name = "busy-handler"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			s.queueWrites = queued
			var mu sync.Mutex
			var waits []time.Duration
			b.SetParallelism(8) // 8 per CPU: 16 writers on this 2-core machine
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					id := uuid.NewString()
					p := &Package{ID: id, Direction: "fns", Kind: KindUpload, UID: id[:8], Filename: "b.zip",
						Size: 1, SHA256: "x", DateIn: Time{Time: time.Now()}}
					start := time.Now()
					if err := s.Insert(ctx, p); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				waits = append(waits, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(waits)
			if len(waits) > 0 {
				b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
