// Command fns is the reportgate direction of the Federal Tax Service
// (ФНС): uploads named as FNS transport containers, inbound packages
// listed by product type, and mass mailings by tax office.
package main

import (
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
)

func main() {
	sdk.Serve(&sdk.Plugin{Declaration: fnsplugin.Manifest(), Hook: fnsplugin.PrepareUpload})
}
