// Command minimal is the smallest complete reportgate direction: subscribers
// list the packages the operator delivers to them, addressed by their
// registration number. It is the example of the SDK's package doc.
package main

import "github.com/reportgate/reportgate/sdk"

func main() {
	subscriber := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Required: true, Bind: sdk.FieldGUID}
	productType := sdk.Param{Name: "type", Type: sdk.TypeEnum, Required: true,
		Values: []string{"1c", "ao5"}, Bind: sdk.FieldType}
	sdk.Serve(&sdk.Plugin{Declaration: sdk.Manifest{
		Name:       "minimal",
		UIDFormat:  sdk.UIDDashed,
		Attributes: []sdk.Attribute{{Name: "regnum", Description: "the employer's registration number"}},
		Errors:     sdk.PydanticErrors(),
		Operations: []sdk.Operation{
			{
				Kind:   sdk.OpList,
				Params: []sdk.Param{productType.At(sdk.InQuery), subscriber.At(sdk.InQuery)},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpDeliver,
				Params: []sdk.Param{
					{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true},
					productType.At(sdk.InForm), subscriber.At(sdk.InForm),
					{Name: "regnum", In: sdk.InForm, Type: sdk.TypeString, Required: true,
						Pattern: `^\d{3}-\d{3}-\d{6}$`, Bind: "regnum"},
				},
				Link: "/{regnum}/{uid}/{filename}",
			},
		},
	}})
}
