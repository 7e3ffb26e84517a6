package enforce_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// msk is the host's default zone, fixed so the test needs no zone data.
var msk = time.FixedZone("MSK", 3*60*60)

// request is a request's parameters by location and name, as a Source.
// An empty value counts as absent, as the Source contract says.
type request map[sdk.Location]map[string]string

func (r request) Lookup(in sdk.Location, name string) (string, bool) {
	v := r[in][name]
	return v, v != ""
}

func query(kv ...string) request  { return request{sdk.InQuery: pairs(kv)} }
func form(kv ...string) request   { return request{sdk.InForm: pairs(kv)} }
func header(kv ...string) request { return request{sdk.InHeader: pairs(kv)} }

func pairs(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// with merges requests of several locations.
func with(rs ...request) request {
	out := request{}
	for _, r := range rs {
		for loc, m := range r {
			if out[loc] == nil {
				out[loc] = map[string]string{}
			}
			for k, v := range m {
				out[loc][k] = v
			}
		}
	}
	return out
}

// bind compiles a manifest and binds a request to one of its operations.
func bind(t *testing.T, m sdk.Manifest, kind sdk.OperationKind, src enforce.Source) (enforce.Bound, []sdk.Violation) {
	t.Helper()
	op := mustCompile(t, m).Operation(kind)
	if op == nil {
		t.Fatalf("no %s operation", kind)
	}
	return op.Bind(src, msk)
}

// mustBind binds a request the test expects to be valid.
func mustBind(t *testing.T, m sdk.Manifest, kind sdk.OperationKind, src enforce.Source) enforce.Bound {
	t.Helper()
	b, vs := bind(t, m, kind, src)
	if len(vs) > 0 {
		t.Fatalf("Bind refused a valid request: %+v", vs)
	}
	return b
}

const (
	fnsGUID   = "1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"
	pfrGUID   = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
	fnsCode   = `^\d{4}$`
	container = "FNS_9965_1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D_d7ab32e90692dece7392c63f6c754c34_07_01_01.zip"
)

func TestBindNormalisesValidValues(t *testing.T) {
	cases := []struct {
		name   string
		m      func() sdk.Manifest
		kind   sdk.OperationKind
		src    request
		fields map[string]string
	}{
		{"enum", pydanticManifest, sdk.OpList, query("type", "iotchet"), map[string]string{"type": "iotchet"}},
		{"enum by its Cyrillic alias", pydanticManifest, sdk.OpList, query("type", "1с"), map[string]string{"type": "1c"}},
		{"uuid, dashed lower case", pydanticManifest, sdk.OpList, query("type", "1c", "guid", pfrGUID),
			map[string]string{"type": "1c", "guid": pfrGUID}},
		{"uuid, upper case", pydanticManifest, sdk.OpList, query("type", "1c", "guid", strings.ToUpper(pfrGUID)),
			map[string]string{"type": "1c", "guid": pfrGUID}},
		{"uuid, in braces", pydanticManifest, sdk.OpList, query("type", "1c", "guid", "{6F9619FF-8B86-D011-B42D-00CF4FC964FF}"),
			map[string]string{"type": "1c", "guid": pfrGUID}},
		{"uuid, as a urn", pydanticManifest, sdk.OpList, query("type", "1c", "guid", "urn:uuid:6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
			map[string]string{"type": "1c", "guid": pfrGUID}},
		{"uuid, without dashes", pydanticManifest, sdk.OpList, query("type", "1c", "gate", "6F9619FF8B86D011B42D00CF4FC964FF"),
			map[string]string{"type": "1c", "gate": pfrGUID}},
		{"string with a pattern", pydanticManifest, sdk.OpDeliver, form("file", "a.zip", "guid", pfrGUID, "type", "ao5", "regnum", "099-099-999999"),
			map[string]string{"guid": pfrGUID, "type": "ao5", "regnum": "099-099-999999"}},
		{"string put in upper case", envelopeManifest, sdk.OpList, query("type", "ao4", "guid", strings.ToLower(fnsGUID)),
			map[string]string{"type": "ao4", "guid": fnsGUID}},
		{"string put in lower case", envelopeManifest, sdk.OpList, query("type", "1c", "gate", "GPR"),
			map[string]string{"type": "1c", "gate": "gpr"}},
		{"ipv4", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "82.113.1.187")),
			map[string]string{"client_ip": "82.113.1.187"}},
		{"ipv4 mapped into ipv6", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "::ffff:82.113.1.187")),
			map[string]string{"client_ip": "82.113.1.187"}},
		{"ipv6", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "2001:DB8:0:0::1")),
			map[string]string{"client_ip": "2001:db8::1"}},
		{"default when absent", envelopeManifest, sdk.OpPublish, form("file", "m.zip", "code", "9965"),
			map[string]string{"code": "9965", "gate": "gpr"}},
		{"value over the default", envelopeManifest, sdk.OpPublish, form("file", "m.zip", "code", "9965", "gate", "spb"),
			map[string]string{"code": "9965", "gate": "spb"}},
		{"optional parameters absent", pydanticManifest, sdk.OpList, query("type", "ao5"), map[string]string{"type": "ao5"}},
		{"required_when not triggered", envelopeManifest, sdk.OpList, query("type", "platform"), map[string]string{"type": "platform"}},
		{"required_when satisfied", envelopeManifest, sdk.OpList, query("type", "ao4", "guid", fnsGUID),
			map[string]string{"type": "ao4", "guid": fnsGUID}},
		{"Cyrillic text", pydanticManifest, sdk.OpPublish, form("file", "Рассылка №1.zip", "code", "Москва"),
			map[string]string{"code": "Москва"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := mustBind(t, c.m(), c.kind, c.src)
			if !reflect.DeepEqual(b.Fields, c.fields) {
				t.Errorf("Fields = %v, want %v", b.Fields, c.fields)
			}
			if len(b.Times) != 0 {
				t.Errorf("Times = %v, want none", b.Times)
			}
		})
	}
}

func TestBindFilename(t *testing.T) {
	b := mustBind(t, pydanticManifest(), sdk.OpUpload, form("file", "Отчёт за 2024.zip", "type", "1c", "guid", pfrGUID))
	if b.Filename != "Отчёт за 2024.zip" {
		t.Errorf("Filename = %q", b.Filename)
	}
	if _, ok := b.Fields["file"]; ok {
		t.Errorf("the file parameter went to Fields: %v", b.Fields)
	}
	b = mustBind(t, pydanticManifest(), sdk.OpList, query("type", "1c"))
	if b.Filename != "" {
		t.Errorf("a list has Filename %q", b.Filename)
	}
}

func TestBindTimes(t *testing.T) {
	cases := []struct {
		name     string
		m        func() sdk.Manifest
		kind     sdk.OperationKind
		src      request
		field    string
		want     time.Time
		dateOnly bool
	}{
		{"datetime", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12 14:56:17")),
			sdk.FieldSentAt, time.Date(2022, 3, 12, 11, 56, 17, 0, time.UTC), false},
		{"date_or_datetime given a datetime", pydanticManifest, sdk.OpMassreport, query("code", "99-99", "date_start", "2024-02-29 23:59:59"),
			sdk.FieldSince, time.Date(2024, 2, 29, 20, 59, 59, 0, time.UTC), false},
		{"date_or_datetime given a date", pydanticManifest, sdk.OpMassreport, query("code", "99-99", "date_end", "2024-02-29"),
			sdk.FieldUntil, time.Date(2024, 2, 28, 21, 0, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := mustBind(t, c.m(), c.kind, c.src)
			got, ok := b.Times[c.field]
			if !ok {
				t.Fatalf("Times = %v, want %s", b.Times, c.field)
			}
			if !got.Equal(c.want) {
				t.Errorf("%s = %v, want %v", c.field, got.Time, c.want)
			}
			if got.Location() != msk {
				t.Errorf("%s is in %v, want the host's zone", c.field, got.Location())
			}
			if got.DateOnly != c.dateOnly {
				t.Errorf("DateOnly = %v, want %v", got.DateOnly, c.dateOnly)
			}
			if len(b.Times) != 1 {
				t.Errorf("Times = %v, want only %s", b.Times, c.field)
			}
			if _, ok := b.Fields[c.field]; ok {
				t.Errorf("a time went to Fields: %v", b.Fields)
			}
		})
	}
}

// TestBindDateType covers the date type, which no bundled manifest uses.
func TestBindDateType(t *testing.T) {
	m := pydanticManifest()
	mr := m.Operation(sdk.OpMassreport)
	mr.Params[1].Type = sdk.TypeDate
	op := mustCompile(t, m).Operation(sdk.OpMassreport)

	b, vs := op.Bind(query("code", "99-99", "date_start", "2024-02-29"), msk)
	if len(vs) > 0 {
		t.Fatalf("violations %+v", vs)
	}
	since := b.Times[sdk.FieldSince]
	if !since.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, msk)) || !since.DateOnly {
		t.Errorf("since = %+v, want 2024-02-29 00:00 MSK, date only", since)
	}
	for _, bad := range []string{"2023-02-29", "2024-02-29 10:00:00", "29.02.2024", "2024-2-29", "2024-02-29T00:00:00"} {
		_, vs := op.Bind(query("code", "99-99", "date_start", bad), msk)
		want := []sdk.Violation{{Param: "date_start", Kind: sdk.ViolationDate}}
		if !reflect.DeepEqual(vs, want) {
			t.Errorf("date_start=%q: violations %+v, want %+v", bad, vs, want)
		}
	}
}

func TestBindRefusesInvalidValues(t *testing.T) {
	cases := []struct {
		name string
		m    func() sdk.Manifest
		kind sdk.OperationKind
		src  request
		want []sdk.Violation
	}{
		{"missing required", pydanticManifest, sdk.OpList, query("guid", pfrGUID),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationMissing}}},
		{"empty counts as missing", pydanticManifest, sdk.OpList, query("type", ""),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationMissing}}},
		{"missing file", pydanticManifest, sdk.OpUpload, form("type", "1c", "guid", pfrGUID),
			[]sdk.Violation{{Param: "file", Kind: sdk.ViolationMissing}}},
		{"enum, other case", envelopeManifest, sdk.OpList, query("type", "1C"),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationEnum, Args: map[string]string{"allowed": "'1c', 'iotchet', 'platform', 'ao4', 'ao5'"}}}},
		{"enum, not a value", pydanticManifest, sdk.OpList, query("type", "platform"),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationEnum, Args: map[string]string{"allowed": "'1c', 'iotchet', 'ao4', 'ao5'"}}}},
		{"uuid", pydanticManifest, sdk.OpList, query("type", "1c", "guid", "not-a-uuid"),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationUUID}}},
		{"uuid, one digit short", pydanticManifest, sdk.OpList, query("type", "1c", "guid", pfrGUID[:35]),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationUUID}}},
		{"uuid with an operator prefix", pydanticManifest, sdk.OpList, query("type", "1c", "guid", fnsGUID),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationUUID}}},
		{"pattern", envelopeManifest, sdk.OpMassreport, query("code", "99651"),
			[]sdk.Violation{{Param: "code", Kind: sdk.ViolationPattern, Args: map[string]string{"pattern": fnsCode}}}},
		{"pattern of a subscriber id", envelopeManifest, sdk.OpList, query("type", "1c", "guid", "1AE71D20EE1"),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationPattern, Args: map[string]string{"pattern": `^[0-9A-Za-z]{3}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`}}}},
		{"pattern of a form field", envelopeManifest, sdk.OpPublish, form("file", "m.zip", "code", "12"),
			[]sdk.Violation{{Param: "code", Kind: sdk.ViolationPattern, Args: map[string]string{"pattern": fnsCode}}}},
		{"ip", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "82.113.1")),
			[]sdk.Violation{{Param: "X-Real-IP", Kind: sdk.ViolationIP}}},
		{"ip with a port", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "82.113.1.187:443")),
			[]sdk.Violation{{Param: "X-Real-IP", Kind: sdk.ViolationIP}}},
		{"ip list", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "82.113.1.187, 10.0.0.1")),
			[]sdk.Violation{{Param: "X-Real-IP", Kind: sdk.ViolationIP}}},
		{"datetime with a T", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12T14:56:17")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		{"datetime given a date", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		{"datetime out of range", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12 24:00:00")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		// time.Parse alone would take a fraction after the seconds and a
		// one-digit hour; the declared layout has neither.
		{"datetime with a fraction", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12 14:56:17.5")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		{"datetime with a comma fraction", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12 14:56:17,123")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		{"datetime with a one-digit hour", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Send-Date", "2022-03-12 4:56:17")),
			[]sdk.Violation{{Param: "X-Send-Date", Kind: sdk.ViolationDateTime}}},
		{"date_or_datetime with a fraction", pydanticManifest, sdk.OpMassreport, query("code", "99-99", "date_start", "2022-03-12 00:00:00.000001"),
			[]sdk.Violation{{Param: "date_start", Kind: sdk.ViolationDateTime}}},
		{"date_or_datetime", pydanticManifest, sdk.OpMassreport, query("code", "99-99", "date_start", "12.03.2022"),
			[]sdk.Violation{{Param: "date_start", Kind: sdk.ViolationDateTime}}},
		{"date_or_datetime, no such day", pydanticManifest, sdk.OpMassreport, query("code", "99-99", "date_end", "2023-02-29"),
			[]sdk.Violation{{Param: "date_end", Kind: sdk.ViolationDateTime}}},
		{"required_when", envelopeManifest, sdk.OpList, query("type", "ao4"),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationRequiredWhen, Args: map[string]string{"other": "type", "value": "ao4"}}}},
		{"required_when, only once when the value is invalid", envelopeManifest, sdk.OpList, query("type", "ao4", "guid", "x"),
			[]sdk.Violation{{Param: "guid", Kind: sdk.ViolationPattern, Args: map[string]string{"pattern": `^[0-9A-Za-z]{3}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`}}}},
		{"required_when not triggered by an invalid value", envelopeManifest, sdk.OpList, query("type", "ao9"),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationEnum, Args: map[string]string{"allowed": "'1c', 'iotchet', 'platform', 'ao4', 'ao5'"}}}},
		{"invalid UTF-8", pydanticManifest, sdk.OpList, query("type", "1c\xff"),
			[]sdk.Violation{{Param: "type", Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": "is not plain text"}}}},
		{"a newline", pydanticManifest, sdk.OpDeliver, form("file", "a.zip", "guid", pfrGUID, "type", "1c", "regnum", "099-099-999999\n"),
			[]sdk.Violation{{Param: "regnum", Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": "is not plain text"}}}},
		{"a NUL", pydanticManifest, sdk.OpPublish, form("file", "a.zip", "code", "99\x00"),
			[]sdk.Violation{{Param: "code", Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": "is not plain text"}}}},
		{"a DEL in a header", envelopeManifest, sdk.OpUpload, with(form("file", container), header("X-Real-IP", "1.2.3.4\x7f")),
			[]sdk.Violation{{Param: "X-Real-IP", Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": "is not plain text"}}}},
		{"a path as the file name", pydanticManifest, sdk.OpUpload, form("file", "../etc/passwd", "type", "1c", "guid", pfrGUID),
			[]sdk.Violation{{Param: "file", Kind: sdk.ViolationFilename}}},
		{"a control character in the file name", pydanticManifest, sdk.OpUpload, form("file", "a\rb.zip", "type", "1c", "guid", pfrGUID),
			[]sdk.Violation{{Param: "file", Kind: sdk.ViolationFilename}}},
		{"every violation, in declaration order", pydanticManifest, sdk.OpUpload,
			form("file", "a/b.zip", "type", "2c", "gate", "g"),
			[]sdk.Violation{
				{Param: "file", Kind: sdk.ViolationFilename},
				{Param: "type", Kind: sdk.ViolationEnum, Args: map[string]string{"allowed": "'1c', 'iotchet', 'ao4', 'ao5'"}},
				{Param: "guid", Kind: sdk.ViolationMissing},
				{Param: "gate", Kind: sdk.ViolationUUID},
			}},
		{"declaration order, not the order of the query", pydanticManifest, sdk.OpMassreport,
			query("date_end", "tomorrow", "date_start", "today", "code", "9999"),
			[]sdk.Violation{
				{Param: "code", Kind: sdk.ViolationPattern, Args: map[string]string{"pattern": `^\d{2}-\d{2}$`}},
				{Param: "date_start", Kind: sdk.ViolationDateTime},
				{Param: "date_end", Kind: sdk.ViolationDateTime},
			}},
		{"rules after parameters", envelopeManifest, sdk.OpList, query("type", "ao4", "gate", "g\x01"),
			[]sdk.Violation{
				{Param: "gate", Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": "is not plain text"}},
				{Param: "guid", Kind: sdk.ViolationRequiredWhen, Args: map[string]string{"other": "type", "value": "ao4"}},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, vs := bind(t, c.m(), c.kind, c.src)
			if !reflect.DeepEqual(vs, c.want) {
				t.Errorf("violations\n got %+v\nwant %+v", vs, c.want)
			}
		})
	}
}

// TestBindRequiredWhenSeesTheNormalValue checks that a rule compares the
// value after aliases, so "1с" and "1c" trigger the same rules.
func TestBindRequiredWhenSeesTheNormalValue(t *testing.T) {
	m := envelopeManifest()
	operation(t, &m, sdk.OpList).Rules[0].Equals = []string{"1c"}
	_, vs := bind(t, m, sdk.OpList, query("type", "1с"))
	want := []sdk.Violation{{Param: "guid", Kind: sdk.ViolationRequiredWhen, Args: map[string]string{"other": "type", "value": "1c"}}}
	if !reflect.DeepEqual(vs, want) {
		t.Errorf("violations %+v, want %+v", vs, want)
	}
}

func TestPlainFilename(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"report.zip", true},
		{container, true},
		{"Отчёт в ФНС.zip", true},
		{"a b (1).zip", true},
		{"...zip", true},
		{".hidden", true},
		{"{uid}.zip", true},
		{strings.Repeat("a", 255), true},
		{strings.Repeat("я", 127), true}, // 254 bytes
		{"", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"a/b", false},
		{"/abs", false},
		{"dir/", false},
		{`a\b`, false},
		{`..\x`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\tb", false},
		{"a\x1fb", false},
		{"a\x7fb", false},
		{"a\u0085b", false}, // NEL, a C1 control
		{"bad\xffutf8", false},
		{strings.Repeat("a", 256), false},
		{strings.Repeat("я", 128), false}, // 256 bytes
	}
	for _, c := range cases {
		if got := enforce.PlainFilename(c.name); got != c.ok {
			t.Errorf("PlainFilename(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}
