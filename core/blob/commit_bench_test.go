package blob

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkCommit writes and commits a 1 MiB blob: the disk's share of an
// upload, fsyncs included.
func BenchmarkCommit(b *testing.B) {
	l, err := NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	content := bytes.Repeat([]byte{0x5a}, 1<<20)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		p, err := l.Create(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Write(content)
		i++
		if err := p.Commit(ctx, fmt.Sprintf("0190a5b2-7c3d-7e4f-8a9b-%012x", i)); err != nil {
			b.Fatal(err)
		}
		if err := p.Settle(); err != nil {
			b.Fatal(err)
		}
	}
}
