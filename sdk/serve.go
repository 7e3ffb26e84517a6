package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the version of the host–plugin protocol this SDK
// speaks. The host refuses a plugin of a version it does not know, and
// names both versions.
const ProtocolVersion = 1

// PluginKey is the name under which a direction is dispensed.
const PluginKey = "direction"

// Handshake is the handshake both sides agree on. The cookie only keeps a
// plugin binary from being started by hand by mistake; it is not
// security. The protocol version is negotiated through VersionedPlugins.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		MagicCookieKey:   "REPORTGATE_PLUGIN",
		MagicCookieValue: "7d0c4f1e-direction",
	}
}

// VersionedPlugins maps each protocol version to its plugin set; impl is
// nil on the host side.
func VersionedPlugins(impl Direction) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginKey: &GRPCPlugin{Impl: impl}},
	}
}

// DecodeManifest reads a manifest's JSON, refusing fields this SDK does
// not know: a plugin that declares something the host cannot enforce
// must not be served half-understood.
func DecodeManifest(body []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decode manifest: %w", err)
	}
	return m, nil
}

// Serve runs the plugin until the host stops it. It is the whole of a
// plugin's main function:
//
//	func main() { sdk.Serve(&sdk.Plugin{Declaration: manifest(), Hook: prepare}) }
//
// Serve also exits when the host process is gone, so a plugin never
// outlives a host that was killed without the chance to stop it.
func Serve(d Direction) {
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	go exitWithParent(os.Getppid(), time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: VersionedPlugins(d),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
	})
}

// exitWithParent ends the process once it is re-parented, which is how
// Linux tells a child its parent died. The host also sets a parent-death
// signal, but that is tied to the thread that started the child, so this
// poll is the guarantee.
func exitWithParent(parent int, every time.Duration) {
	for range time.Tick(every) {
		if os.Getppid() != parent {
			os.Exit(0)
		}
	}
}
