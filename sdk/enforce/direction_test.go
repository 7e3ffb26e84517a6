package enforce_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// productTypes are the product types the test manifests accept.
var productTypes = []string{"1c", "iotchet", "platform", "ao4", "ao5"}

// pydanticManifest is a consistent manifest in the shape of PFR and
// Rosstat: every operation, a direction attribute, the pydantic errors.
func pydanticManifest() sdk.Manifest {
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values: []string{"1c", "iotchet", "ao4", "ao5"}, Aliases: map[string]string{"1с": "1c"},
		Bind: sdk.FieldType,
	}
	guid := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Bind: sdk.FieldGUID}
	gate := sdk.Param{Name: "gate", Type: sdk.TypeUUID, Bind: sdk.FieldGate}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return sdk.Manifest{
		Name:       "test",
		Protocol:   sdk.ProtocolVersion,
		UIDFormat:  sdk.UIDDashed,
		Attributes: []sdk.Attribute{{Name: "regnum"}, {Name: "okpo"}},
		Errors:     sdk.PydanticErrors(),
		Operations: []sdk.Operation{
			{
				Kind:   sdk.OpUpload,
				Params: []sdk.Param{file, productType.At(sdk.InForm), guid.At(sdk.InForm).Require(), gate.At(sdk.InForm)},
				Response: sdk.Response{Shape: sdk.ShapeObject, Fields: []sdk.ResponseField{
					{Key: "id", Value: sdk.FieldID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "date_in", Value: sdk.FieldDateIn},
				}},
			},
			{
				Kind:   sdk.OpList,
				Params: []sdk.Param{productType.At(sdk.InQuery), guid.At(sdk.InQuery), gate.At(sdk.InQuery)},
				Rules:  []sdk.Rule{{Kind: sdk.RuleRequiredWhen, Param: "guid", If: "type", Equals: []string{"ao4"}}},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "guid", Value: sdk.FieldGUID},
					{Key: "окпо", Value: "okpo"},
					{Key: "regnum", Value: "regnum"},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "processed_at", Value: sdk.FieldDateIn, Format: sdk.TimeMicros},
					{Key: "sent_at", Value: sdk.FieldSentAt},
					{Key: "size", Value: sdk.FieldSize},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpMassreport,
				Params: []sdk.Param{
					{Name: "code", In: sdk.InQuery, Type: sdk.TypeString, Required: true, Pattern: `^\d{2}-\d{2}$`, Bind: sdk.FieldCode},
					{Name: "date_start", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldSince},
					{Name: "date_end", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldUntil},
				},
				Response: sdk.Response{Shape: sdk.ShapeValues, Fields: []sdk.ResponseField{{Value: sdk.FieldLink}}},
			},
			{
				Kind: sdk.OpDeliver,
				Params: []sdk.Param{
					file, guid.At(sdk.InForm).Require(), productType.At(sdk.InForm), gate.At(sdk.InForm),
					{Name: "regnum", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: `^\d{3}-\d{3}-\d{6}$`, Bind: "regnum"},
				},
				Link: "/{regnum}/{uid}/{filename}",
			},
			{
				Kind:   sdk.OpPublish,
				Params: []sdk.Param{file, {Name: "code", In: sdk.InForm, Type: sdk.TypeString, Required: true, Bind: sdk.FieldCode}},
				Link:   "/{code}/{uid}/{filename}",
			},
		},
	}
}

// envelopeManifest is a consistent manifest in the shape of FNS: headers,
// a hook, a direction violation kind, a string pattern with a case, a
// default, the envelope errors.
func envelopeManifest() sdk.Manifest {
	errs := sdk.EnvelopeErrors()
	errs.Messages["container_name"] = sdk.Message{Text: `"{name}" name must be a container name`}
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values: productTypes, Aliases: map[string]string{"1с": "1c"}, Bind: sdk.FieldType,
	}
	guid := sdk.Param{
		Name: "guid", Type: sdk.TypeString, Pattern: `^[0-9A-Za-z]{3}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`,
		Case: sdk.CaseUpper, Bind: sdk.FieldGUID,
	}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return sdk.Manifest{
		Name:       "fns",
		Protocol:   sdk.ProtocolVersion,
		UIDFormat:  sdk.UIDHex,
		Attributes: []sdk.Attribute{{Name: "product_guid"}, {Name: "ifns_code"}},
		Errors:     errs,
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
					productType.At(sdk.InQuery), guid.At(sdk.InQuery),
					{Name: "gate", In: sdk.InQuery, Type: sdk.TypeString, Case: sdk.CaseLower, Bind: sdk.FieldGate},
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
				Params: []sdk.Param{
					{Name: "code", In: sdk.InQuery, Type: sdk.TypeString, Pattern: `^\d{4}$`, Bind: sdk.FieldCode},
					{Name: "date_start", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldSince},
					{Name: "date_end", In: sdk.InQuery, Type: sdk.TypeDateOrDateTime, Bind: sdk.FieldUntil},
				},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "fns", Value: sdk.FieldCode},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpDeliver,
				Hook: true,
				Params: []sdk.Param{
					file, guid.At(sdk.InForm), productType.At(sdk.InForm),
					{Name: "gate", In: sdk.InForm, Type: sdk.TypeString, Pattern: `^[0-9A-Za-z_.-]{1,64}$`, Bind: sdk.FieldGate},
				},
				Link: "files/{gate}/{product_guid}/{uid}/{filename}",
			},
			{
				Kind: sdk.OpPublish,
				Params: []sdk.Param{
					file,
					{Name: "code", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: `^\d{4}$`, Bind: sdk.FieldCode},
					{Name: "gate", In: sdk.InForm, Type: sdk.TypeString, Default: "gpr", Bind: sdk.FieldGate},
				},
				Link: "files/{gate}/{code}/{uid}/{filename}",
			},
		},
	}
}

// mustCompile compiles a manifest the test expects to be valid.
func mustCompile(t testing.TB, m sdk.Manifest) *enforce.Direction {
	t.Helper()
	d, err := enforce.Compile(m)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return d
}

// operation returns a pointer to the manifest's operation of a kind, for
// a test to change.
func operation(t *testing.T, m *sdk.Manifest, kind sdk.OperationKind) *sdk.Operation {
	t.Helper()
	op := m.Operation(kind)
	if op == nil {
		t.Fatalf("the manifest declares no %s", kind)
	}
	return op
}

// param returns a pointer to an operation's parameter by name.
func param(t *testing.T, op *sdk.Operation, name string) *sdk.Param {
	t.Helper()
	for i := range op.Params {
		if op.Params[i].Name == name {
			return &op.Params[i]
		}
	}
	t.Fatalf("operation %s has no parameter %q", op.Kind, name)
	return nil
}

func TestCompileAcceptsConsistentManifests(t *testing.T) {
	for name, build := range map[string]func() sdk.Manifest{
		"envelope": envelopeManifest,
		"pydantic": pydanticManifest,
		"list only": func() sdk.Manifest {
			m := pydanticManifest()
			m.Operations = []sdk.Operation{*m.Operation(sdk.OpList)}
			return m
		},
		"query and header of the same name": func() sdk.Manifest {
			m := pydanticManifest()
			list := m.Operation(sdk.OpList)
			list.Params = append(list.Params, sdk.Param{Name: "Regnum", In: sdk.InHeader, Type: sdk.TypeString, Bind: "okpo"},
				sdk.Param{Name: "regnum", In: sdk.InQuery, Type: sdk.TypeString, Bind: "regnum"})
			return m
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := build()
			d := mustCompile(t, m)
			if d.Name() != m.Name {
				t.Errorf("Name() = %q, want %q", d.Name(), m.Name)
			}
			if d.Errors == nil {
				t.Error("Errors is nil")
			}
			for _, spec := range m.Operations {
				op := d.Operation(spec.Kind)
				if op == nil {
					t.Fatalf("Operation(%s) is nil", spec.Kind)
				}
				if op.Hook() != spec.Hook {
					t.Errorf("%s: Hook() = %v, want %v", spec.Kind, op.Hook(), spec.Hook)
				}
				switch spec.Kind {
				case sdk.OpDeliver, sdk.OpPublish:
					if op.Link == nil || op.Response != nil {
						t.Errorf("%s: want a link and no response, got link %v response %v", spec.Kind, op.Link, op.Response)
					}
					if op.FileParam() != "file" {
						t.Errorf("%s: FileParam() = %q, want file", spec.Kind, op.FileParam())
					}
				case sdk.OpUpload:
					if op.Response == nil || op.Response.Shape() != sdk.ShapeObject {
						t.Errorf("upload: want an object response, got %v", op.Response)
					}
					if op.FileParam() != "file" {
						t.Errorf("upload: FileParam() = %q, want file", op.FileParam())
					}
				default:
					if op.Response == nil || op.Link != nil {
						t.Errorf("%s: want a response and no link", spec.Kind)
					}
					if op.FileParam() != "" {
						t.Errorf("%s: FileParam() = %q, want none", spec.Kind, op.FileParam())
					}
				}
			}
		})
	}
}

func TestCompileExposesTheDeclaration(t *testing.T) {
	d := mustCompile(t, envelopeManifest())
	if got, want := d.Routes(), []string{"GET massreport", "GET packages", "POST packages"}; !slices.Equal(got, want) {
		t.Errorf("Routes() = %q, want %q", got, want)
	}
	m := pydanticManifest()
	operation(t, &m, sdk.OpMassreport).Path = "mailings/list"
	if got, want := mustCompile(t, m).Routes(), []string{"GET mailings/list", "GET packages", "POST packages"}; !slices.Equal(got, want) {
		t.Errorf("Routes() with a declared path = %q, want %q", got, want)
	}
	if d.Operation(sdk.OpList) == nil || d.Operation("nonsense") != nil {
		t.Fatal("Operation looks up declared kinds only")
	}
	list := d.Operation(sdk.OpList)
	for field, want := range map[string]bool{sdk.FieldType: true, sdk.FieldGUID: true, sdk.FieldGate: true, sdk.FieldCode: false, "ifns_code": false} {
		if got := list.Binds(field); got != want {
			t.Errorf("list.Binds(%q) = %v, want %v", field, got, want)
		}
	}
	for field, want := range map[string]bool{
		sdk.FieldType: true, sdk.FieldGUID: true, sdk.FieldGate: true, sdk.FieldCode: true,
		"product_guid": true, "ifns_code": true,
		sdk.FieldID: false, sdk.FieldUID: false, sdk.FieldLink: false, sdk.FieldFilename: false,
		sdk.FieldSize: false, sdk.FieldSHA256: false, sdk.FieldDateIn: false, "undeclared": false,
	} {
		if got := d.HookSettable(field); got != want {
			t.Errorf("HookSettable(%q) = %v, want %v", field, got, want)
		}
	}
}

// TestCompileRefusesContradictions changes one thing in a valid manifest
// and expects Compile to refuse it, naming the part at fault.
func TestCompileRefusesContradictions(t *testing.T) {
	cases := []struct {
		name   string
		base   func() sdk.Manifest
		change func(t *testing.T, m *sdk.Manifest)
		want   []string // substrings of the error, in any order
	}{
		// The manifest itself.
		{
			name:   "protocol version",
			change: func(t *testing.T, m *sdk.Manifest) { m.Protocol = sdk.ProtocolVersion + 1 },
			want:   []string{"manifest of test", "protocol 2", "speaks 1"},
		},
		{
			name:   "protocol left zero",
			change: func(t *testing.T, m *sdk.Manifest) { m.Protocol = 0 },
			want:   []string{"protocol 0", "speaks 1"},
		},
		{
			name:   "upper-case name",
			change: func(t *testing.T, m *sdk.Manifest) { m.Name = "FNS" },
			want:   []string{`manifest name "FNS"`},
		},
		{
			name:   "empty name",
			change: func(t *testing.T, m *sdk.Manifest) { m.Name = "" },
			want:   []string{`manifest name ""`},
		},
		{
			name:   "name starting with a digit",
			change: func(t *testing.T, m *sdk.Manifest) { m.Name = "1fns" },
			want:   []string{`manifest name "1fns"`},
		},
		{
			name:   "name with a slash",
			change: func(t *testing.T, m *sdk.Manifest) { m.Name = "f/ns" },
			want:   []string{`manifest name "f/ns"`},
		},
		{
			name:   "uid format",
			change: func(t *testing.T, m *sdk.Manifest) { m.UIDFormat = "base64" },
			want:   []string{"uid_format", `"base64"`},
		},
		{
			name: "duplicate attribute",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Attributes = append(m.Attributes, sdk.Attribute{Name: "regnum"})
			},
			want: []string{"manifest of test", `attribute "regnum" is declared twice`},
		},
		{
			name: "attribute named as a common field",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Attributes = append(m.Attributes, sdk.Attribute{Name: sdk.FieldGUID})
			},
			want: []string{`attribute "guid"`, "common field"},
		},
		{
			name: "attribute that is not a plain name",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Attributes = append(m.Attributes, sdk.Attribute{Name: "окпо"})
			},
			want: []string{`attribute "окпо"`},
		},
		{
			name: "operation declared twice",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Operations = append(m.Operations, *m.Operation(sdk.OpList))
			},
			want: []string{`operation "list" is declared twice`},
		},
		{
			name: "unknown operation kind",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Operations = append(m.Operations, sdk.Operation{Kind: "purge"})
			},
			want: []string{`operation "purge"`, "unknown operation kind"},
		},
		{
			name: "no list operation",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Operations = []sdk.Operation{*m.Operation(sdk.OpUpload)}
			},
			want: []string{"no list operation"},
		},

		// Parameters.
		{
			name: "duplicate parameter",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Params = append(list.Params, sdk.Param{Name: "gate", In: sdk.InQuery, Type: sdk.TypeString, Bind: "regnum"})
			},
			want: []string{`operation "list"`, `parameter "gate" is declared twice`},
		},
		{
			name: "headers differing only by case",
			base: envelopeManifest,
			change: func(t *testing.T, m *sdk.Manifest) {
				up := operation(t, m, sdk.OpUpload)
				up.Params = append(up.Params, sdk.Param{Name: "x-real-ip", In: sdk.InHeader, Type: sdk.TypeString, Bind: "ifns_code"})
			},
			want: []string{"manifest of fns", `operation "upload"`, `parameter "x-real-ip" is declared twice`},
		},
		{
			name: "two parameters binding one field",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Params = append(list.Params, sdk.Param{Name: "gate2", In: sdk.InQuery, Type: sdk.TypeString, Bind: sdk.FieldGate})
			},
			want: []string{`operation "list"`, `parameter "gate2" binds "gate"`},
		},
		{
			name: "parameter without a name",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Params = append(list.Params, sdk.Param{In: sdk.InQuery, Type: sdk.TypeString, Bind: "regnum"})
			},
			want: []string{`operation "list"`, "no name"},
		},
		{
			name:   "unknown location",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").In = "cookie" },
			want:   []string{`operation "list"`, `parameter "gate"`, `unknown location "cookie"`},
		},
		{
			name:   "a list reading a form",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").In = sdk.InForm },
			want:   []string{`operation "list"`, `parameter "gate"`, "not a form"},
		},
		{
			name:   "an upload reading the query",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpUpload), "gate").In = sdk.InQuery },
			want:   []string{`operation "upload"`, `parameter "gate"`, "not the query"},
		},
		{
			name:   "unknown type",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Type = "integer" },
			want:   []string{`operation "list"`, `parameter "gate"`, `unknown type "integer"`},
		},
		{
			name:   "unknown case",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Case = "title" },
			want:   []string{`parameter "gate"`, `unknown case "title"`},
		},
		{
			name:   "bind to an unknown field",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Bind = "inn" },
			want:   []string{`operation "list"`, `parameter "gate"`, `binds "inn"`, "neither a bindable field nor a declared attribute"},
		},
		{
			name:   "bind to nothing",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Bind = "" },
			want:   []string{`parameter "gate"`, "binds to no field"},
		},
		{
			name: "bind to a field that is not bindable",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpList), "gate").Bind = sdk.FieldLink
			},
			want: []string{`parameter "gate"`, `binds "link"`},
		},
		{
			name: "a list date binding since",
			change: func(t *testing.T, m *sdk.Manifest) {
				*param(t, operation(t, m, sdk.OpList), "gate") = sdk.Param{Name: "gate", In: sdk.InQuery, Type: sdk.TypeDate, Bind: sdk.FieldSince}
			},
			want: []string{`parameter "gate"`, `only a massreport date binds "since"`},
		},
		{
			name: "a massreport string binding until",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpMassreport), "date_end").Type = sdk.TypeString
			},
			want: []string{`operation "massreport"`, `parameter "date_end"`, `binds "until"`},
		},
		{
			name:   "a date binding a string field",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Type = sdk.TypeDate },
			want:   []string{`parameter "gate"`, `"gate" is not a time`},
		},
		{
			name: "a date binding an attribute",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpDeliver), "regnum").Type = sdk.TypeDate
			},
			want: []string{`parameter "regnum"`, `attribute "regnum" is not a time`},
		},
		{
			name: "sent_at from a string",
			base: envelopeManifest,
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpUpload), "X-Send-Date").Type = sdk.TypeString
			},
			want: []string{`parameter "X-Send-Date"`, `"sent_at" takes a datetime`},
		},
		{
			name: "client_ip from a string",
			base: envelopeManifest,
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpUpload), "X-Real-IP").Type = sdk.TypeString
			},
			want: []string{`parameter "X-Real-IP"`, `"client_ip" takes an ip`},
		},
		{
			name: "enum without values",
			change: func(t *testing.T, m *sdk.Manifest) {
				p := param(t, operation(t, m, sdk.OpList), "type")
				p.Values, p.Aliases = nil, nil
			},
			want: []string{`operation "list"`, `parameter "type"`, "an enum needs values"},
		},
		{
			name: "alias to a non-value",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpList), "type").Aliases = map[string]string{"1С": "1C"}
			},
			want: []string{`operation "list"`, `parameter "type"`, `alias "1С" names "1C"`, "not an allowed value"},
		},
		{
			name: "values on a string",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpList), "gate").Values = []string{"a"}
			},
			want: []string{`parameter "gate"`, "only an enum takes values"},
		},
		{
			name: "bad regex pattern",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpMassreport), "code").Pattern = `^(\d{2}-\d{2}$`
			},
			want: []string{`operation "massreport"`, `parameter "code"`, "pattern", "missing closing )"},
		},
		{
			name: "a default that fails its pattern",
			base: envelopeManifest,
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpPublish), "gate").Pattern = `^\d+$`
			},
			want: []string{`operation "publish"`, `parameter "gate"`, `default "gpr"`},
		},
		{
			name: "a default that is not one of the values",
			change: func(t *testing.T, m *sdk.Manifest) {
				param(t, operation(t, m, sdk.OpList), "type").Default = "platform"
			},
			want: []string{`operation "list"`, `parameter "type"`, `default "platform"`},
		},
		{
			name:   "a default that is not a uuid",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpList), "gate").Default = "gpr" },
			want:   []string{`operation "list"`, `parameter "gate"`, `default "gpr"`},
		},
		{
			name: "a file parameter in a list",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Params = append(list.Params, sdk.Param{Name: "file", In: sdk.InQuery, Type: sdk.TypeFile})
			},
			want: []string{`operation "list"`, `parameter "file"`, "a file is a form part"},
		},
		{
			name: "a file parameter in a list's form",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Params = append(list.Params, sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile})
			},
			want: []string{`operation "list"`, `parameter "file"`, "not a form"},
		},
		{
			name:   "a file in a header",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpUpload), "file").In = sdk.InHeader },
			want:   []string{`operation "upload"`, `parameter "file"`, "a file is a form part"},
		},
		{
			name:   "a file that binds",
			change: func(t *testing.T, m *sdk.Manifest) { param(t, operation(t, m, sdk.OpUpload), "file").Bind = "regnum" },
			want:   []string{`parameter "file"`, "binds nothing"},
		},
		{
			name: "two file parameters",
			change: func(t *testing.T, m *sdk.Manifest) {
				up := operation(t, m, sdk.OpUpload)
				up.Params = append(up.Params, sdk.Param{Name: "file2", In: sdk.InForm, Type: sdk.TypeFile})
			},
			want: []string{`operation "upload"`, "2 file parameters", "exactly one"},
		},
		{
			name: "no file parameter",
			change: func(t *testing.T, m *sdk.Manifest) {
				d := operation(t, m, sdk.OpDeliver)
				d.Params = d.Params[1:]
			},
			want: []string{`operation "deliver"`, "0 file parameters", "exactly one"},
		},

		// Rules.
		{
			name:   "unknown rule kind",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Rules[0].Kind = "forbidden_when" },
			want:   []string{`operation "list"`, "rule 1", `unknown rule "forbidden_when"`},
		},
		{
			name:   "a rule naming an undeclared parameter",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Rules[0].Param = "okpo" },
			want:   []string{`operation "list"`, "rule 1", `"okpo"`, "must be declared parameters"},
		},
		{
			name:   "a rule triggered by an undeclared parameter",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Rules[0].If = "kind" },
			want:   []string{`operation "list"`, "rule 1", `"kind"`, "must be declared parameters"},
		},
		{
			name: "the second rule",
			change: func(t *testing.T, m *sdk.Manifest) {
				list := operation(t, m, sdk.OpList)
				list.Rules = append(list.Rules, sdk.Rule{Kind: sdk.RuleRequiredWhen, Param: "gate", If: "typo", Equals: []string{"1c"}})
			},
			want: []string{"rule 2", `"typo"`},
		},
		{
			name:   "a rule with no values",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Rules[0].Equals = nil },
			want:   []string{"rule 1", "equals lists no value"},
		},

		// Hooks, links and responses.
		{
			name:   "hook on a list",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Hook = true },
			want:   []string{`operation "list"`, "only upload, deliver and publish call the upload hook"},
		},
		{
			name:   "hook on a massreport",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpMassreport).Hook = true },
			want:   []string{`operation "massreport"`, "upload hook"},
		},
		{
			name:   "a link using an undeclared field",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpDeliver).Link = "/{inn}/{uid}/{filename}" },
			want:   []string{`operation "deliver"`, `link "/{inn}/{uid}/{filename}"`, `undeclared field "inn"`},
		},
		{
			name: "a link using a field that is not a string",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpDeliver).Link = "/{date_in}/{uid}/{filename}"
			},
			want: []string{`operation "deliver"`, `"date_in"`},
		},
		{
			name:   "a link with an empty placeholder",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpPublish).Link = "/{}/{uid}/{filename}" },
			want:   []string{`operation "publish"`, `undeclared field ""`},
		},
		{
			name:   "a link without {uid}",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpDeliver).Link = "/{regnum}/{filename}" },
			want:   []string{`operation "deliver"`, "must contain {uid}"},
		},
		{
			name:   "a link with an unclosed brace",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpDeliver).Link = "/{regnum/{uid}/{filename}" },
			want:   []string{`operation "deliver"`, "unbalanced brace"},
		},
		{
			name:   "a link with an extra closing brace",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpPublish).Link = "/{code}}/{uid}/{filename}" },
			want:   []string{`operation "publish"`, "unbalanced brace"},
		},
		{
			name: "a link with a nested brace",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpPublish).Link = "/{{code}}/{uid}/{filename}"
			},
			want: []string{`operation "publish"`, "unbalanced brace"},
		},
		{
			name:   "deliver without a link",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpDeliver).Link = "" },
			want:   []string{`operation "deliver"`, "needs a link template"},
		},
		{
			name:   "a link on a list",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Link = "/{uid}" },
			want:   []string{`operation "list"`, "only deliver and publish build links"},
		},
		{
			name:   "an upload answering a list",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpUpload).Response.Shape = sdk.ShapeObjects },
			want:   []string{`operation "upload"`, `response shape "objects"`},
		},
		{
			name:   "an upload answering values",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpUpload).Response.Shape = sdk.ShapeValues },
			want:   []string{`operation "upload"`, `response shape "values"`},
		},
		{
			name:   "a list answering one object",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Response.Shape = sdk.ShapeObject },
			want:   []string{`operation "list"`, `response shape "object"`},
		},
		{
			name:   "a list with no shape",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Response.Shape = "" },
			want:   []string{`operation "list"`, `response shape ""`},
		},
		{
			name: "values of two fields",
			change: func(t *testing.T, m *sdk.Manifest) {
				r := &operation(t, m, sdk.OpMassreport).Response
				r.Fields = append(r.Fields, sdk.ResponseField{Value: sdk.FieldUID})
			},
			want: []string{`operation "massreport"`, `shape "values" takes exactly one field, not 2`},
		},
		{
			name: "a response showing an undeclared field",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpList).Response.Fields[2].Value = "inn"
			},
			want: []string{`operation "list"`, `key "окпо" shows the undeclared field "inn"`},
		},
		{
			name: "a repeated response key",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpList).Response.Fields[1].Key = "uid"
			},
			want: []string{`operation "list"`, `key "uid" is empty or repeated`},
		},
		{
			name: "an empty response key",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpUpload).Response.Fields[0].Key = ""
			},
			want: []string{`operation "upload"`, `key "" is empty or repeated`},
		},
		{
			name: "an unknown time format",
			change: func(t *testing.T, m *sdk.Manifest) {
				operation(t, m, sdk.OpList).Response.Fields[5].Format = "unix"
			},
			want: []string{`key "processed_at"`, `unknown format "unix"`},
		},

		// Paths.
		{
			name:   "a path that is not plain",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpMassreport).Path = "../mailings" },
			want:   []string{`operation "massreport"`, `path "../mailings"`},
		},
		{
			name:   "a path with a leading slash",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpList).Path = "/packages" },
			want:   []string{`operation "list"`, `path "/packages"`},
		},
		{
			name:   "a path on an operator operation",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpDeliver).Path = "deliveries" },
			want:   []string{`operation "deliver"`, "take no path"},
		},
		{
			name:   "two operations at one route",
			change: func(t *testing.T, m *sdk.Manifest) { operation(t, m, sdk.OpMassreport).Path = "packages" },
			want:   []string{`"list"`, `"massreport"`, "GET packages"},
		},

		// Error formats.
		{
			name:   "a missing message for a host violation kind",
			change: func(t *testing.T, m *sdk.Manifest) { delete(m.Errors.Messages, sdk.ViolationIP) },
			want:   []string{"manifest of test", "errors.messages", `violation kind "ip"`},
		},
		{
			name:   "an invalid template that does not parse",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Invalid.Template = `{{json .Violations}` },
			want:   []string{"manifest of test", "errors.invalid"},
		},
		{
			name:   "a failure template that does not parse",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Failure.Template = `{"detail": {{json .Message}` },
			want:   []string{"errors.failure"},
		},
		{
			name: "a violation template that does not parse",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Errors.Violation = `{"loc": {{json .Loc}}, "msg": {{json .Message}`
			},
			want: []string{"errors.violation"},
		},
		{
			name:   "an empty template",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.ServerFailure.Template = "" },
			want:   []string{"errors.server_failure", "empty"},
		},
		{
			name:   "violations shown without a violation template",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Violation = "" },
			want:   []string{"errors.invalid", ".Violations", "errors.violation"},
		},
		{
			name:   "a failure template that renders invalid JSON",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Failure.Template = `{"detail": {{.Message}}}` },
			want:   []string{"manifest of test", "errors.failure", "invalid JSON"},
		},
		{
			name:   "an invalid template that renders invalid JSON",
			base:   envelopeManifest,
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Invalid.Template = `{"errors": {{.Messages}}}` },
			want:   []string{"manifest of fns", "errors.invalid", "invalid JSON"},
		},
		{
			name: "a server failure that renders invalid JSON",
			change: func(t *testing.T, m *sdk.Manifest) {
				m.Errors.ServerFailure = sdk.Body{ContentType: "application/problem+json", Template: `{{.Message}}`}
			},
			want: []string{"errors.server_failure", "invalid JSON"},
		},
		{
			name:   "a violation template that renders invalid JSON",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Violation = `{"msg": {{.Message}}}` },
			want:   []string{"errors.invalid", "violation template renders invalid JSON"},
		},
		{
			name:   "a template naming a value that is not there",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Failure.Template = `{"detail": {{json .Detail}}}` },
			want:   []string{"errors.failure", "Detail"},
		},
		{
			name:   "a template calling an unknown function",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Failure.Template = `{"detail": {{yaml .Message}}}` },
			want:   []string{"errors.failure", "yaml"},
		},
		{
			name:   "a bad content type",
			change: func(t *testing.T, m *sdk.Manifest) { m.Errors.Failure.ContentType = "json;;" },
			want:   []string{"errors.failure", "content type"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := c.base
			if base == nil {
				base = pydanticManifest
			}
			m := base()
			mustCompile(t, m) // the change, not the base, is at fault
			c.change(t, &m)
			d, err := enforce.Compile(m)
			if err == nil {
				t.Fatalf("Compile accepted the manifest: %+v", d)
			}
			t.Log(err)
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
