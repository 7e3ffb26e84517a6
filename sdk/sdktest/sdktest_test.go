package sdktest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/sdktest"
)

// example is a small direction with a file part of its own name, a hook
// that refuses some names and panics on one, and its own error format.
func example() *sdk.Plugin {
	errs := sdk.PydanticErrors()
	errs.Messages["draft"] = sdk.Message{Text: "drafts are not accepted", Type: "value_error"}
	file := sdk.Param{Name: "package", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return &sdk.Plugin{
		Declaration: sdk.Manifest{
			Name: "example", UIDFormat: sdk.UIDDashed, Errors: errs,
			Attributes: []sdk.Attribute{{Name: "form"}},
			Operations: []sdk.Operation{
				{Kind: sdk.OpUpload, Hook: true, Params: []sdk.Param{
					file, {Name: "guid", In: sdk.InForm, Type: sdk.TypeUUID, Required: true, Bind: sdk.FieldGUID},
				}, Response: sdk.Response{Shape: sdk.ShapeObject, Fields: []sdk.ResponseField{{Key: "id", Value: sdk.FieldID}}}},
				{Kind: sdk.OpList, Params: []sdk.Param{
					{Name: "guid", In: sdk.InQuery, Type: sdk.TypeUUID, Required: true, Bind: sdk.FieldGUID},
				}, Response: sdk.Response{Shape: sdk.ShapeValues, Fields: []sdk.ResponseField{{Value: sdk.FieldLink}}}},
			},
		},
		Hook: func(_ context.Context, req sdk.UploadRequest) (sdk.UploadResult, error) {
			switch {
			case req.Filename == "panic.zip":
				panic("a bug in the hook")
			case strings.HasPrefix(req.Filename, "draft"):
				return sdk.UploadResult{Violations: []sdk.Violation{{Param: "package", Kind: "draft"}}}, nil
			}
			return sdk.UploadResult{Fields: map[string]string{"form": strings.TrimSuffix(req.Filename, ".zip")}}, nil
		},
	}
}

func TestHarness(t *testing.T) {
	h := sdktest.New(t, example())
	if h.Manifest().Protocol != sdk.ProtocolVersion {
		t.Fatalf("protocol %d: Serve's stamp did not cross the wire", h.Manifest().Protocol)
	}
	const guid = "6593062e-9030-b2bc-e63a-25fbb4723ecc"

	res := h.Check(sdk.OpUpload, sdktest.Request{Filename: "szv.zip", Form: map[string]string{"guid": guid}})
	if len(res.Violations) != 0 || res.Fields["form"] != "szv" || res.Fields[sdk.FieldGUID] != guid {
		t.Fatalf("accepted upload: %+v", res)
	}

	// The host's violation and the hook's, reported together, in the
	// order of the parameters.
	res = h.Check(sdk.OpUpload, sdktest.Request{Filename: "draft.zip", Form: map[string]string{"guid": "x"}})
	want := `[{"loc": ["package"], "msg": "drafts are not accepted", "type": "value_error"}, ` +
		`{"loc": ["guid"], "msg": "value is not a valid uuid", "type": "type_error"}]`
	if got := h.ErrorBody(400, res.Violations).Text; got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}

	// No file: the file part is named by the manifest, not "file".
	res = h.Check(sdk.OpUpload, sdktest.Request{Form: map[string]string{"guid": guid, "file": "x.zip"}})
	if len(res.Violations) != 1 || res.Violations[0].Param != "package" || res.Violations[0].Kind != sdk.ViolationMissing {
		t.Fatalf("violations %+v", res.Violations)
	}

	// A panic in the hook is an error of the call, and the plugin serves on.
	_, err := h.PrepareUpload(sdk.UploadRequest{Operation: sdk.OpUpload, Filename: "panic.zip"})
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("panic: %v", err)
	}
	if out, err := h.PrepareUpload(sdk.UploadRequest{Operation: sdk.OpUpload, Filename: "after.zip"}); err != nil || out.Fields["form"] != "after" {
		t.Fatalf("after the panic: %+v, %v", out, err)
	}
}
