package enforce_test

import (
	"testing"

	"github.com/reportgate/reportgate/sdk"
)

// BenchmarkAppendItem renders one list item of the PFR shape, the work the
// host does per row of a list.
func BenchmarkAppendItem(b *testing.B) {
	r := responseOf(b, pydanticManifest(), sdk.OpList)
	p := listed()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendItem(buf[:0], p, msk)
	}
}
