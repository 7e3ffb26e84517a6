package fnsplugin

import (
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/sdktest"
)

// subscriberGUID is the subscriber of the operator document's examples.
const subscriberGUID = "1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"

func harness(t *testing.T) *sdktest.Harness {
	return sdktest.New(t, &sdk.Plugin{Declaration: Manifest(), Hook: PrepareUpload})
}

// TestThroughTheHarness checks the FNS direction as the host uses it, over
// gRPC: the manifest loads, and sample requests get the document's
// answers.
func TestThroughTheHarness(t *testing.T) {
	h := harness(t)
	if m := h.Manifest(); m.Name != "fns" || m.Protocol != sdk.ProtocolVersion {
		t.Fatalf("manifest %s, protocol %d", m.Name, m.Protocol)
	}

	t.Run("ao4 without guid", func(t *testing.T) {
		res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "ao4"}})
		body := h.ErrorBody(400, res.Violations)
		want := `{"errors": ["\"guid\" is required when \"type\" is \"ao4\""], "status": "Bad Request"}`
		if body.Text != want || body.ContentType != "application/json" {
			t.Fatalf("body %s (%s), want %s", body.Text, body.ContentType, want)
		}
	})

	t.Run("the Cyrillic 1с is 1c", func(t *testing.T) {
		res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "1с"}})
		if len(res.Violations) != 0 || res.Fields[sdk.FieldType] != "1c" {
			t.Fatalf("violations %+v, fields %v", res.Violations, res.Fields)
		}
	})

	t.Run("the document's massreport example", func(t *testing.T) {
		res := h.Check(sdk.OpMassreport, sdktest.Request{Query: map[string]string{
			"date_start": "2022-01-01 12:56:23GMT", "code": "123456",
		}})
		want := `{"errors": ["\"code\" string does not match regex \"^\\d{4}$\"",` +
			`"\"date_start\" must match pattern \"%Y-%m-%d %H:%M:%S\""], "status": "Bad Request"}`
		if got := h.ErrorBody(400, res.Violations).Text; got != want {
			t.Fatalf("body\n got %s\nwant %s", got, want)
		}
	})

	t.Run("an upload's container name, in both orders", func(t *testing.T) {
		for _, name := range []string{
			"FNS_" + subscriberGUID + "_9965_" + docUID + "_01_01_01.zip",
			"FNS_9965_" + subscriberGUID + "_" + docUID + "_07_01_01.zip",
		} {
			res := h.Check(sdk.OpUpload, sdktest.Request{Filename: name})
			if len(res.Violations) != 0 {
				t.Fatalf("%s: %+v", name, res.Violations)
			}
			if res.Fields[sdk.FieldGUID] != subscriberGUID || res.Fields[attrTaxOffice] != "9965" ||
				res.Fields[attrProductGUID] != subscriberGUID[3:] || res.Fields[attrDocUID] != docUID {
				t.Fatalf("%s: fields %v", name, res.Fields)
			}
		}
	})

	t.Run("a bad name and a bad header, both reported", func(t *testing.T) {
		res := h.Check(sdk.OpUpload, sdktest.Request{
			Filename: "FNS_9999_1AE_" + docUID + "_04_01_01.zip",
			Header:   map[string]string{"x-send-date": "yesterday"},
		})
		if len(res.Violations) != 2 || res.Violations[0].Param != "file" || res.Violations[1].Param != "X-Send-Date" {
			t.Fatalf("violations %+v", res.Violations)
		}
	})

	t.Run("an inbound link", func(t *testing.T) {
		res := h.Check(sdk.OpDeliver, sdktest.Request{
			Filename: "FNS_9965_" + subscriberGUID + "_" + docUID + "_07_01_01.zip",
			Form:     map[string]string{"type": "1c", "gate": "gpr"},
		})
		if len(res.Violations) != 0 {
			t.Fatalf("violations %+v", res.Violations)
		}
		res.Fields[sdk.FieldUID] = "632464bdf97e4e1aa7308c88e6e566fd"
		res.Fields[sdk.FieldFilename] = res.Bound.Filename
		link, err := h.Link(sdk.OpDeliver, res.Fields)
		if err != nil {
			t.Fatal(err)
		}
		want := "files/gpr/71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D/632464bdf97e4e1aa7308c88e6e566fd/" + res.Bound.Filename
		if link.Text != want {
			t.Fatalf("link %s, want %s", link.Text, want)
		}
	})

	t.Run("503 while the plugin restarts", func(t *testing.T) {
		body := h.FailureBody(503, "the fns direction is restarting; retry shortly")
		want := `{"errors": ["the fns direction is restarting; retry shortly"], "status": "Service Unavailable"}`
		if body.Text != want {
			t.Fatalf("body %s", body.Text)
		}
	})
}
