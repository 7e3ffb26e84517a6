// Command plot renders the list scenarios' latency against concurrency,
// p50 and p99, reportgate beside its baseline, on PostgreSQL with the
// full data set, as a PNG for bench/RESULTS.md.
package main

import (
	"flag"
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/reportgate/reportgate/bench/internal/benchdata"
)

func main() {
	resultsPath := flag.String("results", "", "results.jsonl")
	out := flag.String("out", "bench/latency.png", "the PNG")
	store := flag.String("store", "pg", "the store whose runs to plot")
	flag.Parse()
	if err := run(*resultsPath, *out, *store); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

var panels = []struct{ scenario, title string }{
	{"list_guid", "List by type and guid"},
	{"list_gate", "List by type and gate"},
	{"list_gate_uncached", "The same, no lists kept"},
	{"massreport", "Massreport by date and code"},
	{"massreport_uncached", "The same, none kept"},
}

func run(resultsPath, out, store string) error {
	results, err := benchdata.ReadResults(resultsPath)
	if err != nil {
		return err
	}
	plots := [][]*plot.Plot{make([]*plot.Plot, len(panels))}
	for i, pn := range panels {
		p, err := panel(results, store, pn.scenario, pn.title)
		if err != nil {
			return err
		}
		plots[0][i] = p
	}
	img := vgimg.New(vg.Points(400*float64(len(panels))), vg.Points(420))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(18), PadTop: vg.Points(6),
		PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
	canvases := plot.Align(plots, tiles, dc)
	for i, p := range plots[0] {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func panel(results []benchdata.Result, store, scenario, title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title + " — " + storeTitle(store)
	p.X.Label.Text = "concurrency"
	p.Y.Label.Text = "latency, ms (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	var levels []float64
	series := []struct {
		server, q string
		colour    color.Color
		dashed    bool
	}{
		{"reportgate", "p50", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, false},
		{"reportgate", "p99", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, true},
		{"baseline", "p50", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, false},
		{"baseline", "p99", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, true},
	}
	for _, s := range series {
		var pts plotter.XYs
		for _, r := range results {
			if r.Store != store || r.Scenario != scenario || r.Server != s.server {
				continue
			}
			y := r.P50ms
			if s.q == "p99" {
				y = r.P99ms
			}
			pts = append(pts, plotter.XY{X: float64(r.Concurrency), Y: math.Max(y, 0.01)})
			if !slices.Contains(levels, float64(r.Concurrency)) {
				levels = append(levels, float64(r.Concurrency))
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color = s.colour, s.colour
		line.Width = vg.Points(1.5)
		if s.dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			points.Shape = draw.TriangleGlyph{}
		} else {
			points.Shape = draw.CircleGlyph{}
		}
		p.Add(line, points)
		p.Legend.Add(s.server+" "+s.q, line, points)
	}
	if len(levels) == 0 {
		return nil, fmt.Errorf("no %s results for %s", scenario, store)
	}
	slices.Sort(levels)
	var ticks plot.ConstantTicks
	for _, l := range levels {
		ticks = append(ticks, plot.Tick{Value: l, Label: strconv.Itoa(int(l))})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = levels[0]*0.8, levels[len(levels)-1]*1.25
	p.Add(plotter.NewGrid())
	return p, nil
}

func storeTitle(store string) string {
	switch store {
	case "pg":
		return "PostgreSQL"
	case "sqlite":
		return "SQLite"
	}
	return store
}
