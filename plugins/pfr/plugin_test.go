package main

import (
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/sdktest"
)

// TestThroughTheHarness checks the PFR direction as the host uses it, over
// gRPC.
func TestThroughTheHarness(t *testing.T) {
	h := sdktest.New(t, &sdk.Plugin{Declaration: manifest()})

	t.Run("every violation of a list, in the pydantic shape", func(t *testing.T) {
		res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "platform", "guid": "nope"}})
		want := `[{"loc": ["type"], "msg": "value is not a valid enumeration member; permitted: '1c', 'iotchet', 'ao4', 'ao5'", "type": "type_error"}, ` +
			`{"loc": ["guid"], "msg": "value is not a valid uuid", "type": "type_error"}]`
		if got := h.ErrorBody(400, res.Violations).Text; got != want {
			t.Fatalf("body\n got %s\nwant %s", got, want)
		}
	})

	t.Run("ao4 without a guid is a valid list", func(t *testing.T) {
		if res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "ao4"}}); len(res.Violations) != 0 {
			t.Fatalf("violations %+v", res.Violations)
		}
	})

	t.Run("an upload needs a guid", func(t *testing.T) {
		res := h.Check(sdk.OpUpload, sdktest.Request{Filename: "szv.zip", Form: map[string]string{"type": "1c"}})
		want := `[{"loc": ["guid"], "msg": "field required", "type": "value_error"}]`
		if got := h.ErrorBody(400, res.Violations).Text; got != want {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("a delivery's link carries the regnum", func(t *testing.T) {
		res := h.Check(sdk.OpDeliver, sdktest.Request{Filename: "szv_td.zip", Form: map[string]string{
			"type": "1c", "guid": "6593062E-9030-B2BC-E63A-25FBB4723ECC", "regnum": "099-099-999999",
		}})
		if len(res.Violations) != 0 || res.Fields[sdk.FieldGUID] != "6593062e-9030-b2bc-e63a-25fbb4723ecc" {
			t.Fatalf("violations %+v, fields %v", res.Violations, res.Fields)
		}
		res.Fields[sdk.FieldUID] = "52fbabca-7a27-446a-9481-ae3d3da027fe"
		res.Fields[sdk.FieldFilename] = "szv_td.zip"
		link, err := h.Link(sdk.OpDeliver, res.Fields)
		if err != nil || link.Text != "/099-099-999999/52fbabca-7a27-446a-9481-ae3d3da027fe/szv_td.zip" {
			t.Fatalf("link %+v, %v", link, err)
		}
	})

	t.Run("a bad regnum", func(t *testing.T) {
		res := h.Check(sdk.OpDeliver, sdktest.Request{Filename: "a.zip", Form: map[string]string{
			"type": "1c", "guid": "6593062e-9030-b2bc-e63a-25fbb4723ecc", "regnum": "99-099-999999",
		}})
		if len(res.Violations) != 1 || res.Violations[0].Param != "regnum" || res.Violations[0].Kind != sdk.ViolationPattern {
			t.Fatalf("violations %+v", res.Violations)
		}
	})

	t.Run("a 5xx is a plain string", func(t *testing.T) {
		body := h.FailureBody(503, "Service Unavailable")
		if body.Text != "Service Unavailable" || body.ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("body %q (%s)", body.Text, body.ContentType)
		}
	})
}
