package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.yaml.in/yaml/v3"

	"github.com/reportgate/reportgate/core/supervisor"
	"github.com/reportgate/reportgate/sdk/enforce"
)

const pluginsUsage = `usage: reportgate plugins inspect [--format json|yaml|both] BINARY

Starts the plugin binary, prints its manifest, and checks it as the host
would at load. Exits 1 when the host would refuse it.
`

// plugins is the plugin authors' and operators' toolbox.
func plugins(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "inspect" {
		fmt.Fprint(stderr, pluginsUsage)
		return errors.New("plugins: want the inspect subcommand")
	}
	fs := flag.NewFlagSet("plugins inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "both", "json, yaml or both")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, pluginsUsage)
		return errors.New("plugins inspect: name one plugin binary")
	}
	binary := fs.Arg(0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := supervisor.Inspect(ctx, supervisor.Config{
		Name: filepath.Base(binary), Path: binary, StartTimeout: 15 * time.Second,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: stderr, Level: hclog.Warn}),
	})
	if err != nil {
		return err
	}
	if *format == "json" || *format == "both" {
		if *format == "both" {
			fmt.Fprintln(stdout, "# manifest (JSON)")
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
	}
	if *format == "yaml" || *format == "both" {
		if *format == "both" {
			fmt.Fprintln(stdout, "---\n# manifest (YAML)")
		}
		enc := yaml.NewEncoder(stdout)
		enc.SetIndent(2)
		if err := enc.Encode(m); err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encode manifest: %w", err)
		}
	}
	if _, err := enforce.Compile(m); err != nil {
		return fmt.Errorf("the host would refuse this manifest: %w", err)
	}
	fmt.Fprintf(stderr, "manifest of %s is valid for plugin protocol %d\n", m.Name, m.Protocol)
	return nil
}
