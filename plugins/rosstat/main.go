// Command rosstat is the reportgate direction of the statistics service
// (Росстат): uploads by subscriber guid, inbound packages addressed by
// OKPO code, and mailings by department. It needs no upload hook.
package main

import "github.com/reportgate/reportgate/sdk"

func main() {
	sdk.Serve(&sdk.Plugin{Declaration: manifest()})
}
