package main

import "github.com/reportgate/reportgate/sdk"

const attrRegnum = "regnum"

func manifest() sdk.Manifest {
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values:  []string{"1c", "iotchet", "ao4", "ao5"},
		Aliases: map[string]string{"1с": "1c"}, Bind: sdk.FieldType,
	}
	subscriber := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Bind: sdk.FieldGUID}
	gate := sdk.Param{Name: "gate", Type: sdk.TypeUUID, Bind: sdk.FieldGate}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return sdk.Manifest{
		Name:      "pfr",
		Title:     "ПФР — АИС ПФР 2",
		Version:   "1.0.0",
		UIDFormat: sdk.UIDDashed,
		Attributes: []sdk.Attribute{
			{Name: attrRegnum, Description: "the employer's registration number, XXX-XXX-XXXXXX"},
		},
		Errors: sdk.PydanticErrors(),
		Operations: []sdk.Operation{
			{
				Kind:   sdk.OpUpload,
				Params: []sdk.Param{file, productType.At(sdk.InForm), subscriber.At(sdk.InForm).Require(), gate.At(sdk.InForm)},
				Response: sdk.Response{Shape: sdk.ShapeObject, Fields: []sdk.ResponseField{
					{Key: "id", Value: sdk.FieldID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "date_in", Value: sdk.FieldDateIn},
				}},
			},
			{
				Kind:   sdk.OpList,
				Params: []sdk.Param{productType.At(sdk.InQuery), subscriber.At(sdk.InQuery), gate.At(sdk.InQuery)},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "guid", Value: sdk.FieldGUID},
					{Key: "regnum", Value: attrRegnum},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "processed_at", Value: sdk.FieldDateIn, Format: sdk.TimeMicros},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpDeliver,
				Params: []sdk.Param{
					file, subscriber.At(sdk.InForm).Require(), productType.At(sdk.InForm), gate.At(sdk.InForm),
					{Name: "regnum", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: `^\d{3}-\d{3}-\d{6}$`, Bind: attrRegnum},
				},
				Link: "/{" + attrRegnum + "}/{uid}/{filename}",
			},
		},
	}
}
