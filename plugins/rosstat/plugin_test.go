package main

import (
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/sdktest"
)

// TestThroughTheHarness checks the Rosstat direction as the host uses it,
// over gRPC.
func TestThroughTheHarness(t *testing.T) {
	h := sdktest.New(t, &sdk.Plugin{Declaration: manifest()})

	t.Run("ao4 without a guid, as the document shows", func(t *testing.T) {
		res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "ao4"}})
		want := `[{"loc": ["guid"], "msg": "field required", "type": "value_error"}]`
		if got := h.ErrorBody(400, res.Violations).Text; got != want {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("a massreport needs its department code", func(t *testing.T) {
		res := h.Check(sdk.OpMassreport, sdktest.Request{Query: map[string]string{"code": "9999", "date_end": "tomorrow"}})
		want := `[{"loc": ["code"], "msg": "string does not match regex \"^\\d{2}-\\d{2}$\"", "type": "value_error"}, ` +
			`{"loc": ["date_end"], "msg": "invalid datetime format", "type": "value_error"}]`
		if got := h.ErrorBody(400, res.Violations).Text; got != want {
			t.Fatalf("body\n got %s\nwant %s", got, want)
		}
	})

	t.Run("OKPO codes of 8, 10 and 14 digits", func(t *testing.T) {
		for okpo, ok := range map[string]bool{"39650292": true, "3965029212": true, "39650292123456": true, "396502921": false, "3965029a": false} {
			res := h.Check(sdk.OpDeliver, sdktest.Request{Filename: "report_4_3.zip", Form: map[string]string{
				"type": "1c", "guid": "6593062e-9030-b2bc-e63a-25fbb4723ecc", "okpo": okpo,
			}})
			if (len(res.Violations) == 0) != ok {
				t.Errorf("okpo %s: violations %+v", okpo, res.Violations)
			}
		}
	})

	t.Run("links of deliveries and mailings", func(t *testing.T) {
		const uid = "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1"
		link, err := h.Link(sdk.OpDeliver, map[string]string{"okpo": "39650292", "uid": uid, "filename": "report_4_3.zip"})
		if err != nil || link.Text != "/39650292/"+uid+"/report_4_3.zip" {
			t.Fatalf("delivery link %+v, %v", link, err)
		}
		link, err = h.Link(sdk.OpPublish, map[string]string{"code": "99-99", "uid": uid, "filename": "massreport1_3_1.zip"})
		if err != nil || link.Text != "/99-99/"+uid+"/massreport1_3_1.zip" {
			t.Fatalf("mailing link %+v, %v", link, err)
		}
	})
}
