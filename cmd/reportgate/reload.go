package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/reportgate/reportgate/core/config"
)

// reload asks the running server to apply its configuration's
// directions, through the operator API, and prints what changed.
func reload(args []string, stdout io.Writer) error {
	var serverURL string
	path, err := commandFlags("reload", args, func(fs *flag.FlagSet) {
		fs.StringVar(&serverURL, "url", "", "the server's base URL; default http:// and http.addr")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path, os.Environ)
	if err != nil {
		return err
	}
	if len(cfg.Operator.Tokens) == 0 {
		return errors.New("reload: the operator API is off (no operator.tokens); send the server SIGHUP instead")
	}
	if serverURL == "" {
		serverURL = "http://" + dialable(cfg.HTTP.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(serverURL, "/")+"/operator/v1/reload", nil)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Operator.Tokens[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reload: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reload: the server answered %s: %s", resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s\n", body)
	var report struct {
		Failed map[string]string `json:"failed"`
	}
	if err := json.Unmarshal(body, &report); err != nil {
		return fmt.Errorf("reload: read the report: %w", err)
	}
	if len(report.Failed) > 0 {
		// An operator's script must see that a direction was refused.
		return fmt.Errorf("reload: %d directions were not applied; the report above says why", len(report.Failed))
	}
	return nil
}

// dialable turns a listen address into one to connect to: a wildcard
// host becomes the loopback address.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (host != "" && host != "0.0.0.0" && host != "::") {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}
