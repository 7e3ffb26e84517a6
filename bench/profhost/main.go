// Command profhost is the host as `reportgate serve` runs it, with
// net/http/pprof on a second loopback address, for the benchmark's
// profiling pass (BENCH_PROFILE=1 bench/run.sh). It is a bench tool only:
// the production binary serves no profiles.
//
//	profhost -config FILE -pprof 127.0.0.1:28090
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof" // the profiles, on the default mux
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/reportgate/reportgate/core/app"
	"github.com/reportgate/reportgate/core/config"
)

func main() {
	path := flag.String("config", "", "the host's configuration")
	pprofAddr := flag.String("pprof", "127.0.0.1:28090", "where to serve /debug/pprof")
	flag.Parse()
	if err := run(*path, *pprofAddr); err != nil {
		fmt.Fprintln(os.Stderr, "profhost:", err)
		os.Exit(1)
	}
}

func run(path, pprofAddr string) error {
	load := func() (*config.Config, error) { return config.Load(path, os.Environ) }
	cfg, err := load()
	if err != nil {
		return err
	}
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(100_000) // one sample per 100 µs blocked
	go func() {
		if err := http.ListenAndServe(pprofAddr, nil); err != nil {
			fmt.Fprintln(os.Stderr, "profhost: pprof:", err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg, load, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx)
}
