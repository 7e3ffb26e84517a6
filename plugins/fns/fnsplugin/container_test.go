package fnsplugin

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/reportgate/reportgate/sdk"
)

const (
	// The subscriber and document of the operator document's examples.
	docSubscriber = "1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"
	docUID        = "d7ab32e90692dece7392c63f6c754c34"
	// docName is the document's example upload, office first.
	docName = "FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip"
)

func TestParseContainerName(t *testing.T) {
	cases := []struct {
		name string
		want container
	}{
		{docName, container{subscriber: docSubscriber, taxOffice: "9965", docUID: docUID, docflow: "07", transaction: "01", docType: "01"}},
		// A subscriber's own report names the subscriber first.
		{"FNS_" + docSubscriber + "_9965_" + docUID + "_01_01_01.zip",
			container{subscriber: docSubscriber, taxOffice: "9965", docUID: docUID, docflow: "01", transaction: "01", docType: "01"}},
		// The document's second subscriber.
		{"FNS_9965_1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56_d5df2b51270104dbbf61bc4aa718fc4d_07_01_01.zip",
			container{subscriber: "1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56", taxOffice: "9965", docUID: "d5df2b51270104dbbf61bc4aa718fc4d", docflow: "07", transaction: "01", docType: "01"}},
		// Lower case: the subscriber id is put in upper case, the uid in
		// lower case, and the extension may be either.
		{"FNS_1ae71d20ee1-d9f0-4c9f-920f-8a8e705a2a3d_0001_D7AB32E90692DECE7392C63F6C754C34_02_03_04.ZIP",
			container{subscriber: docSubscriber, taxOffice: "0001", docUID: docUID, docflow: "02", transaction: "03", docType: "04"}},
		{"FNS_7701_2BE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D_" + docUID + "_99_00_10.Zip",
			container{subscriber: "2BE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D", taxOffice: "7701", docUID: docUID, docflow: "99", transaction: "00", docType: "10"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseContainerName(c.name)
			if !ok {
				t.Fatal("did not parse")
			}
			if got != c.want {
				t.Errorf("parsed\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseContainerNameRefuses(t *testing.T) {
	for _, name := range []string{
		// The document's operator-to-office names: no subscriber on
		// either side.
		"FNS_9999_1AE_" + docUID + "_04_01_01.zip",
		"FNS_0000_1AE_" + docUID + "_04_01_01.zip",
		"FNS_000_1AE_" + docUID + "_04_01_01.zip",
		"FNS_1AE_9999_" + docUID + "_04_01_01.zip",
		// Two offices, two subscribers.
		"FNS_9965_7701_" + docUID + "_07_01_01.zip",
		"FNS_" + docSubscriber + "_1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56_" + docUID + "_07_01_01.zip",
		// An office code of the wrong length.
		"FNS_996_" + docSubscriber + "_" + docUID + "_07_01_01.zip",
		"FNS_99650_" + docSubscriber + "_" + docUID + "_07_01_01.zip",
		// A subscriber id without its prefix, with a short prefix, with a
		// GUID of the wrong shape.
		"FNS_9965_71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D_" + docUID + "_07_01_01.zip",
		"FNS_9965_1A71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D_" + docUID + "_07_01_01.zip",
		"FNS_9965_1AE71D20EE1D9F04C9F920F8A8E705A2A3D_" + docUID + "_07_01_01.zip",
		"FNS_9965_1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3G_" + docUID + "_07_01_01.zip",
		// A document uid of the wrong length or not hex.
		"FNS_9965_" + docSubscriber + "_" + docUID[:31] + "_07_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID + "0_07_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID[:31] + "g_07_01_01.zip",
		"FNS_9965_" + docSubscriber + "_7f281c1a-6113-49c8-a86e-51fab9102687_07_01_01.zip",
		// Codes that are not two digits.
		"FNS_9965_" + docSubscriber + "_" + docUID + "_7_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_007_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_0A_01_01.zip",
		// Another extension, or none.
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.rar",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip.exe",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.",
		// Parts too many or too few.
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01.zip",
		"FNS_FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip",
		"FNS_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip_",
		// Another prefix, or text around the name.
		"PFR_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip",
		"ON_NO_9965_" + docSubscriber + "_" + docUID + "_07_01_01.zip",
		"x" + docName,
		" " + docName,
		docName + "\n",
		"",
	} {
		if c, ok := parseContainerName(name); ok {
			t.Errorf("parseContainerName(%q) = %+v, want no parse", name, c)
		}
	}
}

func TestPrepareUpload(t *testing.T) {
	fromName := map[string]string{
		sdk.FieldGUID:   docSubscriber,
		attrProductGUID: "71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D",
		attrTaxOffice:   "9965",
		attrDocUID:      docUID,
		attrDocflow:     "07",
		attrTransaction: "01",
		attrDocType:     "01",
	}
	cases := []struct {
		name       string
		req        sdk.UploadRequest
		fields     map[string]string
		violations []sdk.Violation
	}{
		{
			name:   "upload: everything from the name",
			req:    sdk.UploadRequest{Operation: sdk.OpUpload, Filename: docName, Fields: map[string]string{sdk.FieldClientIP: "82.113.1.187"}},
			fields: fromName,
		},
		{
			name: "upload: the name in lower case",
			req:  sdk.UploadRequest{Operation: sdk.OpUpload, Filename: "FNS_" + strings.ToLower(docSubscriber) + "_9965_" + docUID + "_07_01_01.zip"},
			fields: map[string]string{
				sdk.FieldGUID: docSubscriber, attrProductGUID: "71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D", attrTaxOffice: "9965",
				attrDocUID: docUID, attrDocflow: "07", attrTransaction: "01", attrDocType: "01",
			},
		},
		{
			name:       "upload: a name that is not a container",
			req:        sdk.UploadRequest{Operation: sdk.OpUpload, Filename: "report.zip"},
			violations: []sdk.Violation{{Param: "file", Kind: violationContainerName}},
		},
		{
			name:       "upload: an operator-to-office name",
			req:        sdk.UploadRequest{Operation: sdk.OpUpload, Filename: "FNS_9999_1AE_" + docUID + "_04_01_01.zip"},
			violations: []sdk.Violation{{Param: "file", Kind: violationContainerName}},
		},
		{
			name:   "deliver: the guid from the name",
			req:    sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: docName, Fields: map[string]string{sdk.FieldType: "1c", sdk.FieldGate: "gpr"}},
			fields: fromName,
		},
		{
			name:   "deliver: the guid given and the same as the name's",
			req:    sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: docName, Fields: map[string]string{sdk.FieldGUID: docSubscriber}},
			fields: fromName,
		},
		{
			name: "deliver: the guid given and not the name's",
			req: sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: docName,
				Fields: map[string]string{sdk.FieldGUID: "1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56"}},
			violations: []sdk.Violation{{Param: "guid", Kind: sdk.ViolationConflict,
				Args: map[string]string{"detail": "differs from the subscriber the file name is addressed to"}}},
		},
		{
			name: "deliver: another operator's prefix is another subscriber",
			req: sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: docName,
				Fields: map[string]string{sdk.FieldGUID: "2BE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"}},
			violations: []sdk.Violation{{Param: "guid", Kind: sdk.ViolationConflict,
				Args: map[string]string{"detail": "differs from the subscriber the file name is addressed to"}}},
		},
		{
			name: "deliver: any name when the guid is given",
			req: sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: "Требование.zip",
				Fields: map[string]string{sdk.FieldGUID: "1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56"}},
			fields: map[string]string{sdk.FieldGUID: "1AE37D52A72-7B0E-45C5-93DE-4C7F313E6C56", attrProductGUID: "37D52A72-7B0E-45C5-93DE-4C7F313E6C56"},
		},
		{
			name: "deliver: an operator-to-office name with the guid given",
			req: sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: "FNS_9999_1AE_" + docUID + "_04_01_01.zip",
				Fields: map[string]string{sdk.FieldGUID: docSubscriber}},
			fields: map[string]string{sdk.FieldGUID: docSubscriber, attrProductGUID: "71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"},
		},
		{
			name:       "deliver: no guid and a name that does not parse",
			req:        sdk.UploadRequest{Operation: sdk.OpDeliver, Filename: "Требование.zip", Fields: map[string]string{sdk.FieldType: "1c"}},
			violations: []sdk.Violation{{Param: "guid", Kind: sdk.ViolationMissing}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrepareUpload(context.Background(), c.req)
			if err != nil {
				t.Fatalf("PrepareUpload: %v", err)
			}
			if !reflect.DeepEqual(got.Violations, c.violations) {
				t.Errorf("violations\n got %+v\nwant %+v", got.Violations, c.violations)
			}
			if len(c.violations) > 0 && got.Fields != nil {
				t.Errorf("a refused upload sets fields %v", got.Fields)
			}
			if len(c.violations) == 0 && !reflect.DeepEqual(got.Fields, c.fields) {
				t.Errorf("fields\n got %v\nwant %v", got.Fields, c.fields)
			}
		})
	}
}

// TestManifestDeclaresWhatTheHookUses checks that every field the hook
// sets is one the manifest lets it set, and every violation kind it raises
// has a message.
func TestManifestDeclaresWhatTheHookUses(t *testing.T) {
	m := Manifest()
	attrs := map[string]bool{}
	for _, a := range m.Attributes {
		attrs[a.Name] = true
	}
	for field := range withProduct(container{subscriber: docSubscriber}.fields()) {
		if field != sdk.FieldGUID && !attrs[field] {
			t.Errorf("the hook sets %q, which the manifest does not declare", field)
		}
	}
	for _, kind := range []string{violationContainerName, sdk.ViolationConflict, sdk.ViolationMissing} {
		if _, ok := m.Errors.Messages[kind]; !ok {
			t.Errorf("no message for the hook's violation kind %q", kind)
		}
	}
	for _, kind := range []sdk.OperationKind{sdk.OpUpload, sdk.OpDeliver} {
		if op := m.Operation(kind); op == nil || !op.Hook {
			t.Errorf("%s does not call the hook", kind)
		}
	}
	// The manifest's own patterns agree with the parser.
	c, ok := parseContainerName(docName)
	if !ok || !subscriberID.MatchString(c.subscriber) || !taxOffice.MatchString(c.taxOffice) {
		t.Errorf("parsed %+v, which the manifest's patterns refuse", c)
	}
}
