package enforce_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// values is a package's fields for LinkTemplate.Render.
func values(kv ...string) func(string) string {
	m := pairs(kv)
	return func(field string) string { return m[field] }
}

func linkOf(t *testing.T, m sdk.Manifest, kind sdk.OperationKind) *enforce.LinkTemplate {
	t.Helper()
	op := mustCompile(t, m).Operation(kind)
	if op == nil || op.Link == nil {
		t.Fatalf("%s has no link", kind)
	}
	return op.Link
}

func TestLinkRender(t *testing.T) {
	const uid = "632464bdf97e4e1aa7308c88e6e566fd"
	cases := []struct {
		name   string
		link   *enforce.LinkTemplate
		values func(string) string
		want   string
	}{
		{"FNS inbound, no leading slash", linkOf(t, envelopeManifest(), sdk.OpDeliver),
			values("gate", "gpr", "product_guid", "71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D", "uid", uid, "filename", container),
			"files/gpr/71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D/" + uid + "/" + container},
		{"FNS mass mailing", linkOf(t, envelopeManifest(), sdk.OpPublish),
			values("gate", "gpr", "code", "9965", "uid", uid, "filename", "m.zip"),
			"files/gpr/9965/" + uid + "/m.zip"},
		{"PFR, leading slash kept", linkOf(t, pydanticManifest(), sdk.OpDeliver),
			values("regnum", "099-099-999999", "uid", "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1", "filename", "Ответ.zip"),
			"/099-099-999999/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/Ответ.zip"},
		{"a value that looks like a placeholder is not expanded", linkOf(t, pydanticManifest(), sdk.OpPublish),
			values("code", "99-99", "uid", "u1", "filename", "{uid}{code}.zip"),
			"/99-99/u1/{uid}{code}.zip"},
		{"fields it does not name are ignored", linkOf(t, pydanticManifest(), sdk.OpPublish),
			values("code", "99-99", "uid", "u1", "filename", "a.zip", "regnum", "../.."),
			"/99-99/u1/a.zip"},
		{"URL syntax in a value is escaped", linkOf(t, pydanticManifest(), sdk.OpPublish),
			values("code", "99-99", "uid", "u1", "filename", "Требование #5? 100%.zip"),
			"/99-99/u1/Требование %235%3F 100%25.zip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.link.Render(c.values)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got.Text != c.want {
				t.Errorf("Render = %q, want %q", got.Text, c.want)
			}
			// The path is what the text names once a server decodes it.
			decoded, err := url.PathUnescape(c.want)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimLeft(decoded, "/"); got.Path != want {
				t.Errorf("Render path = %q, want %q", got.Path, want)
			}
		})
	}
}

func TestLinkRenderRefuses(t *testing.T) {
	link := linkOf(t, envelopeManifest(), sdk.OpDeliver) // files/{gate}/{product_guid}/{uid}/{filename}
	good := map[string]string{"gate": "gpr", "product_guid": "71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D", "uid": "u1", "filename": "a.zip"}
	cases := []struct {
		field, value string
		want         string
	}{
		{"gate", "", `needs "gate"`},
		{"product_guid", "", `needs "product_guid"`},
		{"uid", "", `needs "uid"`},
		{"filename", "", `needs "filename"`},
		{"gate", "a/b", `"gate" is not a plain path segment`},
		{"gate", "/", `"gate"`},
		{"product_guid", "..", `"product_guid" is not a plain path segment`},
		{"product_guid", ".", `"product_guid"`},
		{"filename", "../../operator/v1/x", `"filename" is not a plain path segment`},
		{"filename", `a\b.zip`, `"filename"`},
		{"filename", "a\nb.zip", `"filename"`},
		{"gate", strings.Repeat("g", 256), `"gate"`},
	}
	for _, c := range cases {
		t.Run(c.field+"="+c.value, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range good {
				m[k] = v
			}
			m[c.field] = c.value
			got, err := link.Render(func(f string) string { return m[f] })
			if err == nil {
				t.Fatalf("Render = %q, want an error", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if got != (enforce.Link{}) {
				t.Errorf("Render returned %+v with its error", got)
			}
		})
	}
}

func TestLinkPath(t *testing.T) {
	for link, want := range map[string]string{
		"/099-099-999999/u/a.zip": "099-099-999999/u/a.zip",
		"files/gpr/p/u/a.zip":     "files/gpr/p/u/a.zip",
		"//x/u/a.zip":             "x/u/a.zip",
		"":                        "",
	} {
		if got := enforce.LinkPath(link); got != want {
			t.Errorf("LinkPath(%q) = %q, want %q", link, got, want)
		}
	}
}
