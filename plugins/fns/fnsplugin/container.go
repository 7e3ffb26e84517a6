package fnsplugin

import (
	"context"
	"regexp"
	"strings"

	"github.com/reportgate/reportgate/sdk"
)

// containerName is an FNS transport container name:
// FNS_{sender}_{recipient}_{doc uid}_{docflow}_{transaction}_{doctype}.zip.
// Sender and recipient are each a subscriber id (operator prefix + GUID),
// a 4-digit tax office code or a 3-character operator id.
var containerName = regexp.MustCompile(`^FNS_([0-9A-Za-z-]+)_([0-9A-Za-z-]+)_([0-9A-Fa-f]{32})_(\d{2})_(\d{2})_(\d{2})\.(?i:zip)$`)

var (
	subscriberID = regexp.MustCompile(subscriberIDPattern)
	taxOffice    = regexp.MustCompile(taxOfficePattern)
)

// container is what a container name says.
type container struct {
	subscriber, taxOffice                 string
	docUID, docflow, transaction, docType string
}

// parseContainerName reads a name between a subscriber and a tax office,
// in either order; ok is false for any other name.
func parseContainerName(name string) (c container, ok bool) {
	m := containerName.FindStringSubmatch(name)
	if m == nil {
		return container{}, false
	}
	sender, recipient := m[1], m[2]
	switch {
	case subscriberID.MatchString(sender) && taxOffice.MatchString(recipient):
		c.subscriber, c.taxOffice = sender, recipient
	case taxOffice.MatchString(sender) && subscriberID.MatchString(recipient):
		c.subscriber, c.taxOffice = recipient, sender
	default:
		return container{}, false
	}
	c.subscriber = strings.ToUpper(c.subscriber)
	c.docUID, c.docflow, c.transaction, c.docType = strings.ToLower(m[3]), m[4], m[5], m[6]
	return c, true
}

func (c container) fields() map[string]string {
	return map[string]string{
		sdk.FieldGUID:   c.subscriber,
		attrTaxOffice:   c.taxOffice,
		attrDocUID:      c.docUID,
		attrDocflow:     c.docflow,
		attrTransaction: c.transaction,
		attrDocType:     c.docType,
	}
}

// PrepareUpload is the upload hook. It derives the subscriber and tax
// office from the container name. A subscriber's upload must be named as
// a container; an operator's delivery may instead name the subscriber in
// its guid parameter.
func PrepareUpload(_ context.Context, req sdk.UploadRequest) (sdk.UploadResult, error) {
	c, named := parseContainerName(req.Filename)
	given := req.Fields[sdk.FieldGUID]
	switch {
	case req.Operation == sdk.OpUpload && !named:
		return refuse(sdk.Violation{Param: "file", Kind: violationContainerName}), nil
	case req.Operation == sdk.OpUpload:
		return sdk.UploadResult{Fields: withProduct(c.fields())}, nil
	case named && given != "" && given != c.subscriber:
		return refuse(sdk.Violation{Param: "guid", Kind: sdk.ViolationConflict,
			Args: map[string]string{"detail": "differs from the subscriber the file name is addressed to"}}), nil
	case named:
		return sdk.UploadResult{Fields: withProduct(c.fields())}, nil
	case given == "":
		return refuse(sdk.Violation{Param: "guid", Kind: sdk.ViolationMissing}), nil
	default:
		return sdk.UploadResult{Fields: withProduct(map[string]string{sdk.FieldGUID: given})}, nil
	}
}

// withProduct adds the product guid, which FNS links carry: the
// subscriber id without its operator prefix.
func withProduct(fields map[string]string) map[string]string {
	// The host checked the guid against its pattern; the length check
	// keeps this hook safe on its own.
	if guid := fields[sdk.FieldGUID]; len(guid) > 3 {
		fields[attrProductGUID] = guid[3:]
	}
	return fields
}

func refuse(v sdk.Violation) sdk.UploadResult {
	return sdk.UploadResult{Violations: []sdk.Violation{v}}
}
