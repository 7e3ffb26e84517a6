// Package fnsplugin is the FNS direction: its manifest and its upload
// hook, which reads FNS transport container names. The fns command
// serves it; it is a package of its own so that benchmarks can call the
// hook in-process beside the same hook through the plugin process.
package fnsplugin

import "github.com/reportgate/reportgate/sdk"

const (
	// subscriberIDPattern is a 3-character operator prefix and a GUID.
	subscriberIDPattern = `^[0-9A-Za-z]{3}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`
	taxOfficePattern    = `^\d{4}$`
	// gatePattern keeps a gate one plain path segment, since FNS links
	// carry it.
	gatePattern = `^[0-9A-Za-z_.-]{1,64}$`
	// defaultMailingGate is the gate in the operator document's mass
	// mailing links.
	defaultMailingGate = "gpr"
	// violationContainerName is this direction's own violation kind.
	violationContainerName = "container_name"
)

// The attributes this direction adds to a package.
const (
	attrProductGUID = "product_guid"
	attrTaxOffice   = "ifns_code"
	attrDocUID      = "doc_uid"
	attrDocflow     = "docflow"
	attrTransaction = "transaction"
	attrDocType     = "doctype"
)

// Manifest declares the FNS direction.
func Manifest() sdk.Manifest {
	errors := sdk.EnvelopeErrors()
	errors.Messages[violationContainerName] = sdk.Message{
		Text: `"{name}" name must be FNS_<subscriber id>_<tax office code>_<document uid, 32 hex digits>_<NN>_<NN>_<NN>.zip, or with the subscriber id and tax office code swapped`,
	}
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values:  []string{"1c", "iotchet", "platform", "ao4", "ao5"},
		Aliases: map[string]string{"1с": "1c"}, Bind: sdk.FieldType,
	}
	subscriber := sdk.Param{
		Name: "guid", Type: sdk.TypeString, Pattern: subscriberIDPattern,
		Case: sdk.CaseUpper, Bind: sdk.FieldGUID,
	}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return sdk.Manifest{
		Name:      "fns",
		Title:     "ФНС — Федеральная налоговая служба",
		Version:   "1.0.0",
		UIDFormat: sdk.UIDHex,
		Attributes: []sdk.Attribute{
			{Name: attrProductGUID, Description: "the subscriber guid without its 3-character operator prefix"},
			{Name: attrTaxOffice, Description: "the 4-digit tax office code from the container name"},
			{Name: attrDocUID, Description: "the document uid from the container name"},
			{Name: attrDocflow, Description: "the docflow type code from the container name"},
			{Name: attrTransaction, Description: "the transaction type code from the container name"},
			{Name: attrDocType, Description: "the document type code from the container name"},
		},
		Errors: errors,
		Operations: []sdk.Operation{
			{
				Kind: sdk.OpUpload,
				Hook: true,
				Params: []sdk.Param{
					file,
					{Name: "X-Real-IP", In: sdk.InHeader, Type: sdk.TypeIP, Bind: sdk.FieldClientIP},
					{Name: "X-Send-Date", In: sdk.InHeader, Type: sdk.TypeDateTime, Bind: sdk.FieldSentAt},
				},
				Response: sdk.Response{Shape: sdk.ShapeObject, Fields: []sdk.ResponseField{
					{Key: "id", Value: sdk.FieldID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "client_ip", Value: sdk.FieldClientIP},
					{Key: "date_in", Value: sdk.FieldDateIn},
				}},
			},
			{
				Kind: sdk.OpList,
				Params: []sdk.Param{
					productType.At(sdk.InQuery),
					subscriber.At(sdk.InQuery),
					{Name: "gate", In: sdk.InQuery, Type: sdk.TypeString, Bind: sdk.FieldGate},
				},
				Rules: []sdk.Rule{{Kind: sdk.RuleRequiredWhen, Param: "guid", If: "type", Equals: []string{"ao4"}}},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "guid", Value: sdk.FieldGUID},
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpMassreport,
				// code comes first because the operator document lists its
				// violation first.
				Params: []sdk.Param{
					{Name: "code", In: sdk.InQuery, Type: sdk.TypeString, Pattern: taxOfficePattern, Bind: sdk.FieldCode},
					{Name: "date_start", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldSince},
					{Name: "date_end", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldUntil},
				},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "fns", Value: sdk.FieldCode},
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpDeliver,
				Hook: true,
				Params: []sdk.Param{
					file,
					subscriber.At(sdk.InForm),
					productType.At(sdk.InForm),
					{Name: "gate", In: sdk.InForm, Type: sdk.TypeString, Pattern: gatePattern, Bind: sdk.FieldGate},
				},
				Link: "files/{gate}/{" + attrProductGUID + "}/{uid}/{filename}",
			},
			{
				Kind: sdk.OpPublish,
				Params: []sdk.Param{
					file,
					{Name: "code", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: taxOfficePattern, Bind: sdk.FieldCode},
					{Name: "gate", In: sdk.InForm, Type: sdk.TypeString, Pattern: gatePattern, Default: defaultMailingGate, Bind: sdk.FieldGate},
				},
				Link: "files/{gate}/{code}/{uid}/{filename}",
			},
		},
	}
}
