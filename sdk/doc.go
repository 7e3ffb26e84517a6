// Package sdk is everything a reportgate direction plugin needs: the
// manifest that declares the direction, the ready error formats, the
// upload hook's types, and Serve, which runs the plugin as a go-plugin
// process that the reportgate host starts and supervises.
//
// A plugin declares; the host enforces. The host reads the manifest once,
// checks it (package enforce), and from then on validates requests,
// renders errors, builds links and shapes responses itself. Lists,
// downloads and deletes never reach the plugin; an upload reaches it at
// most once, through the hook, and only when its operation asks for it.
// A plugin runs no SQL and touches no files: the host owns all state.
//
// This is a complete plugin (the program in examples/minimal). Build it,
// name it in the host's configuration under directions.minimal.plugin,
// and send the host SIGHUP:
//
//	package main
//
//	import "github.com/reportgate/reportgate/sdk"
//
//	func main() {
//		subscriber := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Required: true, Bind: sdk.FieldGUID}
//		productType := sdk.Param{Name: "type", Type: sdk.TypeEnum, Required: true,
//			Values: []string{"1c", "ao5"}, Bind: sdk.FieldType}
//		sdk.Serve(&sdk.Plugin{Declaration: sdk.Manifest{
//			Name:       "minimal",
//			UIDFormat:  sdk.UIDDashed,
//			Attributes: []sdk.Attribute{{Name: "regnum", Description: "the employer's registration number"}},
//			Errors:     sdk.PydanticErrors(),
//			Operations: []sdk.Operation{
//				{
//					Kind:   sdk.OpList,
//					Params: []sdk.Param{productType.At(sdk.InQuery), subscriber.At(sdk.InQuery)},
//					Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
//						{Key: "uid", Value: sdk.FieldUID},
//						{Key: "filename", Value: sdk.FieldFilename},
//						{Key: "link", Value: sdk.FieldLink},
//					}},
//				},
//				{
//					Kind: sdk.OpDeliver,
//					Params: []sdk.Param{
//						{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true},
//						productType.At(sdk.InForm), subscriber.At(sdk.InForm),
//						{Name: "regnum", In: sdk.InForm, Type: sdk.TypeString, Required: true,
//							Pattern: `^\d{3}-\d{3}-\d{6}$`, Bind: "regnum"},
//					},
//					Link: "/{regnum}/{uid}/{filename}",
//				},
//			},
//		}})
//	}
//
// Package sdktest runs a plugin through real gRPC without the host, for
// its tests; README.md in this module is the author's guide.
package sdk
