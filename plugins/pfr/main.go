// Command pfr is the reportgate direction of the pension fund's АИС ПФР 2:
// uploads by subscriber guid, and inbound packages addressed by the
// employer's registration number. It needs no upload hook.
package main

import "github.com/reportgate/reportgate/sdk"

func main() {
	sdk.Serve(&sdk.Plugin{Declaration: manifest()})
}
