// Command reportgate is the host of the electronic-reporting API: it
// serves every enabled direction, each run as its own plugin process.
//
//	reportgate serve   --config FILE   start the server
//	reportgate migrate --config FILE   apply the database migrations
//	reportgate reload  --config FILE   apply the configuration's directions to a running server
//	reportgate plugins inspect BINARY  print a plugin's manifest
//	reportgate version                 print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the time zone database, so Europe/Moscow loads on any machine

	"github.com/reportgate/reportgate/core/app"
	"github.com/reportgate/reportgate/core/config"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: reportgate <command> [flags]

commands:
  serve   --config FILE   start the server
  migrate --config FILE   apply the database migrations and exit
  reload  --config FILE   make the running server apply the file's directions
                          (the same as sending it SIGHUP); --url overrides
                          the address read from http.addr
  plugins inspect BINARY  print a plugin's manifest as JSON and YAML, and check it
  version                 print the version

Environment variables override the file: REPORTGATE_DATABASE__URL sets
database.url, and so on for every key.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reportgate:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "migrate":
		return migrate(args[1:], stdout)
	case "reload":
		return reload(args[1:], stdout)
	case "plugins":
		return plugins(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "reportgate %s (plugin protocol %d)\n", version, sdk.ProtocolVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// commandFlags parses a command's flags: --config, and the extra ones
// the command registers.
func commandFlags(command string, args []string, extra func(*flag.FlagSet)) (configPath string, err error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	path := fs.String("config", "", "the YAML configuration file")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected argument %q", command, fs.Arg(0))
	}
	return *path, nil
}

// loadConfig parses a command's --config flag and loads the configuration.
func loadConfig(command string, args []string) (*config.Config, error) {
	path, err := commandFlags(command, args, nil)
	if err != nil {
		return nil, err
	}
	return config.Load(path, os.Environ)
}

func serve(args []string, logOut io.Writer) error {
	path, err := commandFlags("serve", args, nil)
	if err != nil {
		return err
	}
	load := func() (*config.Config, error) { return config.Load(path, os.Environ) }
	cfg, err := load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg, load, logOut)
	if err != nil {
		return err
	}
	defer a.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				// The app logs what the reload did or why it refused.
				a.Reload(ctx)
			}
		}
	}()
	return a.Serve(ctx)
}

func migrate(args []string, stdout io.Writer) error {
	cfg, err := loadConfig("migrate", args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.URL, cfg.Database.StoreOptions()...)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migrations %v\n", len(applied), applied)
	return nil
}
