package main

import "github.com/reportgate/reportgate/sdk"

const (
	attrOKPO          = "okpo"
	departmentPattern = `^\d{2}-\d{2}$`
)

func manifest() sdk.Manifest {
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values:  []string{"1c", "iotchet", "ao4", "ao5"},
		Aliases: map[string]string{"1с": "1c"}, Bind: sdk.FieldType,
	}
	subscriber := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Bind: sdk.FieldGUID}
	gate := sdk.Param{Name: "gate", Type: sdk.TypeUUID, Bind: sdk.FieldGate}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	department := sdk.Param{Name: "code", Type: sdk.TypeString, Required: true, Pattern: departmentPattern, Bind: sdk.FieldCode}
	return sdk.Manifest{
		Name:      "rosstat",
		Title:     "Росстат — Федеральная служба государственной статистики",
		Version:   "1.0.0",
		UIDFormat: sdk.UIDDashed,
		Attributes: []sdk.Attribute{
			// The document names it окпо in responses; the attribute keeps
			// an ASCII name for templates and the operator API.
			{Name: attrOKPO, Description: "the OKPO code: 8 digits for an organisation, 10 for an entrepreneur, 14 for a branch"},
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
				Rules:  []sdk.Rule{{Kind: sdk.RuleRequiredWhen, Param: "guid", If: "type", Equals: []string{"ao4"}}},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "guid", Value: sdk.FieldGUID},
					{Key: "окпо", Value: attrOKPO},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpMassreport,
				Params: []sdk.Param{
					department.At(sdk.InQuery),
					{Name: "date_start", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldSince},
					{Name: "date_end", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldUntil},
				},
				Response: sdk.Response{Shape: sdk.ShapeValues, Fields: []sdk.ResponseField{{Value: sdk.FieldLink}}},
			},
			{
				Kind: sdk.OpDeliver,
				Params: []sdk.Param{
					file, subscriber.At(sdk.InForm).Require(), productType.At(sdk.InForm), gate.At(sdk.InForm),
					{Name: "okpo", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: `^(\d{8}|\d{10}|\d{14})$`, Bind: attrOKPO},
				},
				Link: "/{" + attrOKPO + "}/{uid}/{filename}",
			},
			{
				Kind:   sdk.OpPublish,
				Params: []sdk.Param{file, department.At(sdk.InForm)},
				Link:   "/{code}/{uid}/{filename}",
			},
		},
	}
}
